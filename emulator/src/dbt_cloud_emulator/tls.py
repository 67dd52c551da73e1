"""The emulator's private CA, its server certificate and the trust bundle clients point at.

Created on first start under STATE/tls/ and reused afterwards; the server certificate is re-issued
(by the same CA) when it nears expiry or lacks a host name the settings now ask for.
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import os
from pathlib import Path

import certifi
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1", "dbt-cloud-emulator")
CA_DAYS = 3650
SERVER_DAYS = 825
RENEW_BEFORE = datetime.timedelta(days=30)


@dataclasses.dataclass(frozen=True)
class TlsFiles:
    ca: Path
    ca_key: Path
    server: Path
    server_key: Path
    trust_bundle: Path

    @classmethod
    def under(cls, tls_dir: Path) -> TlsFiles:
        return cls(
            ca=tls_dir / "ca.pem",
            ca_key=tls_dir / "ca-key.pem",
            server=tls_dir / "server.pem",
            server_key=tls_dir / "server-key.pem",
            trust_bundle=tls_dir / "trust-bundle.pem",
        )


def ensure_tls(tls_dir: Path, extra_hosts: tuple[str, ...] = ()) -> TlsFiles:
    """Create or reuse the CA and server certificate; always rewrite the trust bundle."""
    files = TlsFiles.under(tls_dir)
    tls_dir.mkdir(parents=True, exist_ok=True)
    hosts = tuple(dict.fromkeys((*DEFAULT_HOSTS, *extra_hosts)))
    if files.ca.exists() and files.ca_key.exists():
        ca_cert = x509.load_pem_x509_certificate(files.ca.read_bytes())
        ca_key = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
    else:
        ca_cert, ca_key = _new_ca()
        _write_private(files.ca_key, _key_pem(ca_key))
        files.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    if not _server_cert_usable(files, hosts):
        server_cert, server_key = _new_server_cert(ca_cert, ca_key, hosts)
        _write_private(files.server_key, _key_pem(server_key))
        files.server.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    bundle = Path(certifi.where()).read_text().rstrip("\n") + "\n\n# dbt Cloud emulator CA\n" + files.ca.read_text()
    files.trust_bundle.write_text(bundle)
    return files


def certificate_hosts(cert: x509.Certificate) -> set[str]:
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {*names.get_values_for_type(x509.DNSName), *(str(ip) for ip in names.get_values_for_type(x509.IPAddress))}


def _server_cert_usable(files: TlsFiles, hosts: tuple[str, ...]) -> bool:
    if not (files.server.exists() and files.server_key.exists()):
        return False
    cert = x509.load_pem_x509_certificate(files.server.read_bytes())
    fresh = cert.not_valid_after_utc - RENEW_BEFORE > datetime.datetime.now(datetime.timezone.utc)
    return fresh and set(hosts) <= certificate_hosts(cert)


def _new_ca() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dbt Cloud emulator local CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _new_server_cert(
    ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, hosts: tuple[str, ...]
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName([_general_name(host) for host in hosts]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_encipherment=False, key_cert_sign=False, crl_sign=False,
                content_commitment=False, data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_private(path: Path, data: bytes) -> None:
    """Write a key file that only its owner can read, without a moment of wider permissions."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
