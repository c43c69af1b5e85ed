"""A local TEST PKI for TLS: server certificate and officers' client certificates.

Used by ``make serve-tls`` (``sceau tls serve-local``) and by the tests; refused in production
by its callers, like ``sceau pki init-test``. Every name says TEST: nothing here can pass for a
certificate of the profession. Keys are ECDSA P-256 (fast to make), written 0600.

Files of ``directory`` (0700)::

    server-ca.pem                 AC serveur de TEST (the CA to give curl: --cacert)
    server.pem  server.key        TLS server certificate for 127.0.0.1 and localhost
    client-ca.pem client-ca.key   AC d'authentification de TEST (nginx ssl_client_certificate)
    crl.pem                       its CRL (nginx ssl_crl), rewritten by revoke()
    <stem>.pem <stem>.key         a client certificate (curl --cert/--key)
    <stem>.p12 <stem>.p12.pass    the same as PKCS#12, and its password (browser import)

This module does not import Django.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVER_CA_NAME = "Sceau — AC serveur de TEST (non qualifiée)"
CLIENT_CA_NAME = "Sceau — AC d'authentification de TEST (non qualifiée)"
ORGANIZATION = "Sceau (TEST)"
CA_LIFETIME = timedelta(days=3650)
SERVER_LIFETIME = timedelta(days=365)
CLIENT_LIFETIME = timedelta(days=365)
CRL_LIFETIME = timedelta(days=30)
BACKDATE = timedelta(hours=1)


@dataclass(frozen=True)
class Issued:
    """A certificate with its private key."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def fingerprint(self) -> str:
        return self.cert.fingerprint(hashes.SHA256()).hex()


@dataclass(frozen=True)
class ClientFiles:
    """A client certificate's files, as curl and browsers want them."""

    issued: Issued
    cert_path: Path
    key_path: Path
    p12_path: Path
    p12_password: str

    @property
    def fingerprint(self) -> str:
        return self.issued.fingerprint


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _name(common_name: str, email: str | None = None) -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    if email:
        attrs.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    return x509.Name(attrs)


def _key_usage(*, signature: bool = False, ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def new_ca(common_name: str) -> Issued:
    """A self-signed CA (also used by tests to make a CA that nginx does not trust)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(common_name)
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return Issued(cert, key)


def _leaf(
    ca: Issued,
    subject: x509.Name,
    not_before: datetime,
    not_after: datetime,
    eku: x509.ObjectIdentifier,
    san: list[x509.GeneralName],
) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), False
        )
    )
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    return Issued(builder.sign(ca.key, hashes.SHA256()), key)


def _write(path: Path, data: bytes, mode: int = 0o644) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _load(directory: Path, stem: str) -> Issued:
    cert = x509.load_pem_x509_certificate((directory / f"{stem}.pem").read_bytes())
    key = serialization.load_pem_private_key((directory / f"{stem}.key").read_bytes(), None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{stem}.key is not an EC key")
    return Issued(cert, key)


@dataclass(frozen=True)
class TlsTestPki:
    """The loaded TEST PKI of ``directory``."""

    __test__ = False  # not a pytest class

    directory: Path
    server_ca: Issued
    client_ca: Issued
    server: Issued

    @property
    def server_ca_path(self) -> Path:
        return self.directory / "server-ca.pem"

    @property
    def server_cert_path(self) -> Path:
        return self.directory / "server.pem"

    @property
    def server_key_path(self) -> Path:
        return self.directory / "server.key"

    @property
    def client_ca_path(self) -> Path:
        return self.directory / "client-ca.pem"

    @property
    def crl_path(self) -> Path:
        return self.directory / "crl.pem"

    def issue_client(
        self,
        stem: str,
        common_name: str,
        email: str | None = None,
        *,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        ca: Issued | None = None,
    ) -> ClientFiles:
        """Issue a client certificate (by the client CA, or ``ca``) and write its files."""
        if not stem.isidentifier():
            raise ValueError(f"stem {stem!r}: letters, digits and _ only")
        now = _now()
        issued = _leaf(
            ca or self.client_ca,
            _name(common_name, email),
            not_before or now - BACKDATE,
            not_after or now + CLIENT_LIFETIME,
            ExtendedKeyUsageOID.CLIENT_AUTH,
            [x509.RFC822Name(email)] if email else [],
        )
        password = secrets.token_urlsafe(12)
        p12 = pkcs12.serialize_key_and_certificates(
            common_name.encode(),
            issued.key,
            issued.cert,
            [self.client_ca.cert],
            serialization.BestAvailableEncryption(password.encode()),
        )
        base = self.directory / stem
        _write(base.with_suffix(".pem"), issued.pem)
        _write(base.with_suffix(".key"), _key_pem(issued.key), 0o600)
        _write(base.with_suffix(".p12"), p12, 0o600)
        _write(base.with_suffix(".p12.pass"), password.encode() + b"\n", 0o600)
        return ClientFiles(
            issued,
            base.with_suffix(".pem"),
            base.with_suffix(".key"),
            base.with_suffix(".p12"),
            password,
        )

    def load_client(self, stem: str) -> ClientFiles | None:
        """The client certificate files written earlier under ``stem``, or None."""
        base = self.directory / stem
        try:
            issued = _load(self.directory, stem)
            password = base.with_suffix(".p12.pass").read_text().strip()
        except (OSError, ValueError):
            return None
        return ClientFiles(
            issued,
            base.with_suffix(".pem"),
            base.with_suffix(".key"),
            base.with_suffix(".p12"),
            password,
        )

    def crl(self) -> x509.CertificateRevocationList:
        return x509.load_pem_x509_crl(self.crl_path.read_bytes())

    def write_crl(self, revoked_serials: list[int] | None = None) -> Path:
        """(Re)write the client CA's CRL listing ``revoked_serials`` (default: those already
        listed)."""
        if revoked_serials is None:
            revoked_serials = (
                [r.serial_number for r in self.crl()] if self.crl_path.exists() else []
            )
        now = _now()
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.client_ca.cert.subject)
            .last_update(now - BACKDATE)
            .next_update(now + CRL_LIFETIME)
            .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.client_ca.key.public_key()),
                critical=False,
            )
        )
        for serial in sorted(set(revoked_serials)):
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(now - BACKDATE)
                .build()
            )
        crl = builder.sign(self.client_ca.key, hashes.SHA256())
        _write(self.crl_path, crl.public_bytes(serialization.Encoding.PEM))
        return self.crl_path

    def revoke(self, cert: x509.Certificate) -> Path:
        """Add ``cert`` to the CRL (nginx reads it at start or reload)."""
        listed = [r.serial_number for r in self.crl()] if self.crl_path.exists() else []
        return self.write_crl([*listed, cert.serial_number])


def ensure_tls_test_pki(
    directory: Path, host_names: tuple[str, ...] = ("localhost",)
) -> TlsTestPki:
    """Create the TEST TLS PKI in ``directory`` on first call, load it afterwards.

    The server certificate names 127.0.0.1, ::1 and ``host_names``; it is reissued when it
    expires within a week, the CRL when it expires within a week.
    """
    directory = Path(directory)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    for stem, name in (("server-ca", SERVER_CA_NAME), ("client-ca", CLIENT_CA_NAME)):
        if not (directory / f"{stem}.pem").exists():
            ca = new_ca(name)
            _write(directory / f"{stem}.key", _key_pem(ca.key), 0o600)
            _write(directory / f"{stem}.pem", ca.pem)
    server_ca = _load(directory, "server-ca")
    client_ca = _load(directory, "client-ca")
    week = timedelta(days=7)
    server = None
    if (directory / "server.pem").exists():
        server = _load(directory, "server")
        if server.cert.not_valid_after_utc - _now() < week:
            server = None
    if server is None:
        now = _now()
        san: list[x509.GeneralName] = [
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
            *(x509.DNSName(h) for h in host_names),
        ]
        server = _leaf(
            server_ca,
            _name(f"Sceau — serveur de TEST ({', '.join(host_names)})"),
            now - BACKDATE,
            now + SERVER_LIFETIME,
            ExtendedKeyUsageOID.SERVER_AUTH,
            san,
        )
        _write(directory / "server.key", _key_pem(server.key), 0o600)
        _write(directory / "server.pem", server.pem)
    pki = TlsTestPki(directory, server_ca, client_ca, server)
    if not pki.crl_path.exists() or pki.crl().next_update_utc - _now() < week:
        pki.write_crl()
    return pki
