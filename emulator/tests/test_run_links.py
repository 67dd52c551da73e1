"""A run's href opens in an ordinary browser: the run pages are served over plain HTTP on their own
port, with no certificate to trust, while the API stays on HTTPS."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from fastapi.testclient import TestClient

from conftest import ACCOUNT, AUTH, make_settings
from dbt_cloud_emulator.app import EmulatorApp
from dbt_cloud_emulator.settings import SettingsError


def test_the_href_opens_over_plain_http_and_the_api_is_not_there(served):
    with served.client() as api:
        run = api.post(f"/api/v2/accounts/{ACCOUNT}/jobs/999/run/", json={"cause": "link"}).json()["data"]
    href = f"http://localhost:{served.web_port}/deploy/{ACCOUNT}/projects/70001/runs/{run['id']}/"
    assert run["href"] == href

    # urllib with its defaults, as a browser: no CA bundle, no certificate flag.
    with urllib.request.urlopen(href, timeout=10) as page:
        assert page.status == 200 and "text/html" in page.headers["Content-Type"]
        assert f"Run #{run['id']}" in page.read().decode()
    with pytest.raises(urllib.error.HTTPError) as not_here:
        urllib.request.urlopen(f"http://localhost:{served.web_port}/api/v2/accounts/{ACCOUNT}/runs/", timeout=10)
    assert not_here.value.code == 404  # no API, so no token, over plain HTTP

    check = subprocess.run([sys.executable, "-m", "dbt_cloud_emulator", "healthcheck", "--port", str(served.port),
                            "--web-port", str(served.web_port), "--state-dir", str(served.state_dir)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_public_url_sets_the_links_for_a_published_port(tmp_path):
    app = EmulatorApp(make_settings(tmp_path, public_url="http://localhost:9444/"))
    with TestClient(app, base_url="https://testserver", headers=AUTH) as client:
        run = client.post(f"/api/v2/accounts/{ACCOUNT}/jobs/999/run/", json={"cause": "link"}).json()["data"]
    assert run["href"] == f"http://localhost:9444/deploy/{ACCOUNT}/projects/70001/runs/{run['id']}/"


@pytest.mark.parametrize("overrides, fragment", [
    ({"web_port": 18443}, "need a port each"),
    ({"public_url": "localhost:8444"}, "must start with http:// or https://"),
])
def test_unusable_link_settings_name_the_fix(tmp_path, overrides, fragment):
    with pytest.raises(SettingsError, match=fragment):
        make_settings(tmp_path, **overrides)
