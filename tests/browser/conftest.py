"""Fixtures for the browser test: headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)
against the isolated `local_stack` of tests/conftest.py."""

from __future__ import annotations

import pytest

from local_runner.browser_install import CHROMIUM

# Playwright's own browser download is not used: it drives the system Chromium. Without the
# background-networking switches Chromium phones home at start, which sandboxed networks refuse.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_context(local_stack):
    """A fresh headless Chromium window (1400x900), stock: it trusts no certificate a user's browser
    would not, so the "Monitor Job Run" link must open without one (the emulator's run pages)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.set_default_timeout(30_000)
        try:
            yield context
        finally:
            browser.close()
