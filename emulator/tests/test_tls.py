"""The private CA, the server certificate and the trust bundle."""

import ssl
import stat

import certifi
from cryptography import x509

from dbt_cloud_emulator.tls import certificate_hosts, ensure_tls


def test_first_start_creates_ca_server_cert_and_bundle(tmp_path):
    files = ensure_tls(tmp_path / "tls", extra_hosts=("emulator.example",))
    server = x509.load_pem_x509_certificate(files.server.read_bytes())
    assert certificate_hosts(server) >= {"localhost", "127.0.0.1", "::1", "dbt-cloud-emulator", "emulator.example"}
    for key in (files.ca_key, files.server_key):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    bundle = files.trust_bundle.read_text()
    assert files.ca.read_text() in bundle and open(certifi.where()).read().strip() in bundle
    # The server certificate verifies against the bundle (what requests/aiohttp do).
    context = ssl.create_default_context(cafile=str(files.trust_bundle))
    assert context.cert_store_stats()["x509_ca"] > 100


def test_restart_reuses_everything_and_new_host_reissues_only_the_server_cert(tmp_path):
    first = ensure_tls(tmp_path / "tls")
    ca, server = first.ca.read_bytes(), first.server.read_bytes()
    again = ensure_tls(tmp_path / "tls")
    assert again.ca.read_bytes() == ca and again.server.read_bytes() == server
    widened = ensure_tls(tmp_path / "tls", extra_hosts=("other.local",))
    assert widened.ca.read_bytes() == ca and widened.server.read_bytes() != server
    assert "other.local" in certificate_hosts(x509.load_pem_x509_certificate(widened.server.read_bytes()))


def test_removed_state_starts_with_a_new_ca(tmp_path):
    ca = ensure_tls(tmp_path / "a").ca.read_bytes()
    assert ensure_tls(tmp_path / "b").ca.read_bytes() != ca
