"""The hook and the deferrable wait against a real local TLS server whose certificate this process does
not trust (a throwaway self-signed one), and against a port where nothing listens: each failure names its own fix."""

from __future__ import annotations

import asyncio
import datetime
import json
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from include.dbt_cloud.hook import DbtCloudCertificateUntrustedError, DbtCloudUnreachableError, ResilientDbtCloudHook
from include.dbt_cloud.trigger import ResilientDbtCloudRunJobTrigger
from local_runner.ports import free_port

TOKEN = "dbtc-secret-token-never-logged"


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture
def tls_server(tmp_path) -> Iterator[tuple[int, Path, list[str]]]:
    """A TLS server on a free port answering every GET with a job; yields (port, its certificate, paths served)."""
    cert_file, key_file = self_signed_certificate(tmp_path)
    served: list[str] = []

    class Answer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.append(self.path)
            body = json.dumps({"data": {"id": 2}, "status": {"code": 200}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Answer)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_port, cert_file, served
    finally:
        server.shutdown()
        server.server_close()


def point_connection_at(monkeypatch, port: int) -> str:
    host = f"localhost:{port}"
    monkeypatch.setenv("AIRFLOW_CONN_DBT_CLOUD_DEFAULT", json.dumps(
        {"conn_type": "dbt_cloud", "host": host, "login": "1", "password": TOKEN}))
    return host


def test_an_untrusted_certificate_names_the_host_and_the_trust_fix_at_once(tls_server, monkeypatch):
    port, _, served = tls_server
    host = point_connection_at(monkeypatch, port)
    for variable in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"):  # trust as a fresh shell does
        monkeypatch.delenv(variable, raising=False)

    started = time.monotonic()
    with pytest.raises(DbtCloudCertificateUntrustedError) as untrusted:
        ResilientDbtCloudHook(retry_limit=3, retry_delay=5).get_job(job_id=2, account_id=1)
    assert time.monotonic() - started < 5  # not retried (the first retry would wait 5 s): it cannot heal

    message = str(untrusted.value)
    assert f"https://{host}/" in message and "self-signed certificate" in message
    assert "REQUESTS_CA_BUNDLE" in message and "SSL_CERT_FILE" in message and "a CA bundle that trusts it" in message
    assert "check that it is up" not in message  # not the unreachable advice
    assert TOKEN not in message
    assert served == []  # nothing was sent: the handshake failed


def test_the_named_fix_works_trusting_the_certificate_lets_the_call_through(tls_server, monkeypatch):
    port, cert_file, served = tls_server
    point_connection_at(monkeypatch, port)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))

    job = ResilientDbtCloudHook(retry_limit=1).get_job(job_id=2, account_id=1).json()["data"]

    assert job == {"id": 2} and served == ["/api/v2/accounts/1/jobs/2"]


def test_a_refused_connection_names_the_connection_to_check(monkeypatch):
    host = point_connection_at(monkeypatch, free_port())  # nothing listens there

    with pytest.raises(DbtCloudUnreachableError) as unreachable:
        ResilientDbtCloudHook(retry_limit=1).get_job(job_id=2, account_id=1)

    message = str(unreachable.value)
    assert f"No answer from dbt Cloud at https://{host}/ (ConnectionError): check that it is up" in message
    assert "AIRFLOW_CONN_DBT_CLOUD_DEFAULT" in message
    assert "certificate" not in message and TOKEN not in message


def test_the_deferrable_wait_stops_at_an_untrusted_certificate_naming_the_trust_fix(tls_server, monkeypatch, capfd):
    port, _, served = tls_server
    point_connection_at(monkeypatch, port)
    trigger = ResilientDbtCloudRunJobTrigger(conn_id="dbt_cloud_default", run_id=5, account_id=1, end_time=time.time() + 600,
                                         poll_interval=5, hook_params={"retry_limit": 1, "retry_delay": 5})

    async def first_event():
        return await anext(trigger.run())

    started = time.monotonic()
    event = asyncio.run(first_event())

    assert event.payload["status"] == "error" and time.monotonic() - started < 5  # no second status check
    logged = "".join(capfd.readouterr())
    assert f"Could not verify the TLS certificate of dbt Cloud at https://localhost:{port}/" in logged
    assert "SSL_CERT_FILE" in logged and TOKEN not in logged and served == []
