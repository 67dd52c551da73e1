"""Fixtures for the browser test: headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)
against the isolated `local_stack` of tests/conftest.py."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

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


def emulator_certificate_pin(server_cert: Path) -> str:
    """base64 SHA-256 of the emulator certificate's public key, as Chromium's SPKI allow-list wants it.

    Chromium trusts exactly this key (the emulator's own certificate, made in its state folder by
    its private CA) instead of ignoring every certificate error, and without touching an NSS database.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    key = x509.load_pem_x509_certificate(server_cert.read_bytes()).public_key()
    spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@pytest.fixture
def browser_context(local_stack):
    """A fresh headless Chromium window (1400x900) that trusts the stack's emulator certificate."""
    from playwright.sync_api import sync_playwright

    pin = emulator_certificate_pin(local_stack.emulator_state_dir / "tls" / "server.pem")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[*CHROMIUM_ARGS, f"--ignore-certificate-errors-spki-list={pin}"],
        )
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.set_default_timeout(30_000)
        try:
            yield context
        finally:
            browser.close()
