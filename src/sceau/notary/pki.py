"""A self-made TEST public key infrastructure for the default set-up (never qualified).

``ensure_test_pki(directory)`` creates, on first call, a root CA, an officer signing certificate
(PEM and PKCS#12 with a generated passphrase) and the certificate of the built-in timestamping
authority, plus an empty CRL of the root; later calls load them. Every subject name says TEST /
NON QUALIFIÉE: nothing here can pass for a qualified signature or timestamp.

Files (directory mode 0700; private keys, PKCS#12 and passphrase 0600; every write atomic)::

    root.pem  root.key            AC racine de TEST (RSA 3072, 10 years)
    officer.pem  officer.key      officer's signing certificate (RSA 3072, 3 years)
    officer.p12  officer.p12.pass PKCS#12 of the above (AES-256) and its passphrase
    officer.json                  SHA-256 of the four officer files, written after them
    tsa.pem  tsa.key              built-in timestamping authority (RSA 3072, 9 years)
    crl.pem                       CRL of the root (30 days, reissued when it gets stale)
    pki.json                      written last: marks a complete PKI
    .pki.lock                     fcntl lock serialising creation, reissues and revocations
    tsa-serial  tsa-serial.lock   last serial of the built-in authority (timestamps.py)

This module does not import Django.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from . import qc
from .errors import PkiError
from .qc import has_qc_statements

__all__ = [
    "DOCUMENT_SIGNING_OID",
    "OFFICE_ORGANIZATION",
    "QC_STATEMENTS_OID",
    "ROOT_NAME",
    "TSA_NAME",
    "PrivateKey",
    "TestPki",
    "ensure_test_pki",
    "has_qc_statements",
]

ROOT_NAME = "Sceau — AC racine de TEST (non qualifiée)"
TSA_NAME = "Sceau — autorité d'horodatage intégrée (NON QUALIFIÉE)"
TEST_ORGANIZATION = "Sceau (TEST)"
OFFICE_ORGANIZATION = "Étude Démo (TEST)"
OFFICER_UNIT = "Certificat de TEST — NON QUALIFIÉ"

QC_STATEMENTS_OID = x509.ObjectIdentifier(qc.QC_STATEMENTS_OID)
DOCUMENT_SIGNING_OID = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # id-kp-documentSigning

KEY_SIZE = 3072
ROOT_LIFETIME = timedelta(days=3652)
TSA_LIFETIME = timedelta(days=3287)
OFFICER_LIFETIME = timedelta(days=1095)
CRL_LIFETIME = timedelta(days=30)
CRL_REFRESH_MARGIN = timedelta(days=7)
BACKDATE = timedelta(hours=1)  # tolerate clocks slightly behind ours
FORMAT_VERSION = 1

MANIFEST = "pki.json"
OFFICER_SEAL = "officer.json"
_SECRET_FILES = ("root.key", "officer.key", "officer.p12", "officer.p12.pass", "tsa.key")

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
"""Key types the PKI and the built-in authority accept."""


@dataclass(frozen=True, eq=False)
class TestPki:
    """The loaded TEST PKI: certificates, keys and the paths of their files.

    Compare instances through their certificates (keys have no meaningful equality).
    """

    __test__ = False  # not a pytest test class, despite its name

    directory: Path
    root_cert: x509.Certificate
    root_key: PrivateKey
    officer_cert: x509.Certificate
    officer_key: PrivateKey
    officer_p12_passphrase: bytes
    tsa_cert: x509.Certificate
    tsa_key: PrivateKey

    @property
    def root_cert_path(self) -> Path:
        """PEM of the root CA (the trust anchor to give verifiers)."""
        return self.directory / "root.pem"

    @property
    def officer_cert_path(self) -> Path:
        """PEM of the officer's signing certificate."""
        return self.directory / "officer.pem"

    @property
    def officer_key_path(self) -> Path:
        """PEM (PKCS#8, unencrypted, 0600) of the officer's private key."""
        return self.directory / "officer.key"

    @property
    def officer_p12_path(self) -> Path:
        """PKCS#12 with the officer's key, certificate and the root (0600)."""
        return self.directory / "officer.p12"

    @property
    def officer_p12_passphrase_path(self) -> Path:
        """File (0600) holding :attr:`officer_p12_passphrase`."""
        return self.directory / "officer.p12.pass"

    @property
    def tsa_cert_path(self) -> Path:
        """PEM of the built-in timestamping authority's certificate."""
        return self.directory / "tsa.pem"

    @property
    def tsa_key_path(self) -> Path:
        """PEM (PKCS#8, unencrypted, 0600) of the built-in authority's private key."""
        return self.directory / "tsa.key"

    @property
    def crl_path(self) -> Path:
        """PEM of the root's current CRL."""
        return self.directory / "crl.pem"

    @property
    def qualified(self) -> bool:
        """Whether the officer certificate carries a QCStatements extension (test only)."""
        return has_qc_statements(self.officer_cert)

    def crl(self) -> x509.CertificateRevocationList:
        """Load the root's current CRL."""
        return _load_crl(self.crl_path)

    def is_revoked(self, cert: x509.Certificate) -> bool:
        """Whether ``cert`` is listed in the current CRL."""
        return self.crl().get_revoked_certificate_by_serial_number(cert.serial_number) is not None

    def revoke(self, cert: x509.Certificate) -> x509.CertificateRevocationList:
        """Reissue the CRL with ``cert`` added (idempotent) and return the new CRL.

        Only certificates issued by this PKI's root can be revoked.
        """
        if cert.issuer != self.root_cert.subject or not _issued_by(cert, self.root_cert):
            raise PkiError(
                "Ce certificat n'a pas été émis par l'AC racine de TEST : il ne peut pas être "
                "révoqué par elle.",
                detail=f"issuer {cert.issuer.rfc4514_string()} is not the test root",
            )
        with _locked(self.directory / ".pki.lock"):
            crl = self.crl()
            entries = list(crl)
            if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is None:
                entries.append(
                    x509.RevokedCertificateBuilder()
                    .serial_number(cert.serial_number)
                    .revocation_date(datetime.now(UTC).replace(microsecond=0))
                    .build()
                )
            new = _issue_crl(self.root_cert, self.root_key, entries, _crl_number(crl) + 1)
            _write_file(self.crl_path, new.public_bytes(serialization.Encoding.PEM), 0o644)
        return new


def ensure_test_pki(
    directory: Path,
    *,
    officer_name: str = "Maître Claire Martin (TEST)",
    officer_email: str = "officier@etude-demo.test",
    qualified: bool = False,
) -> TestPki:
    """Create the TEST PKI in ``directory`` on first call, load it afterwards.

    Safe to call from several processes at once (``fcntl`` lock on ``.pki.lock``). The root and
    the timestamping authority are never replaced once created. The officer certificate is
    reissued (new key, new PKCS#12 and passphrase) when ``officer_name``, ``officer_email`` or
    ``qualified`` differ from the stored one, or when its files are inconsistent; the CRL is
    reissued when it expires within 7 days.

    ``qualified=True`` adds a QCStatements extension to the officer certificate, only to test
    how verifiers react to it: a certificate of this PKI is never actually qualified.
    """
    directory = Path(directory)
    _ensure_private_dir(directory)
    with _locked(directory / ".pki.lock"):
        if not (directory / MANIFEST).exists():
            _create(directory, officer_name, officer_email, qualified)
        pki = _load(directory)
        if not _officer_ok(pki, officer_name, officer_email, qualified):
            _issue_officer(
                pki.root_cert, pki.root_key, directory, officer_name, officer_email, qualified
            )
            pki = _load(directory)
        crl = pki.crl()
        if crl.next_update_utc is None or (
            crl.next_update_utc - datetime.now(UTC) < CRL_REFRESH_MARGIN
        ):
            new = _issue_crl(pki.root_cert, pki.root_key, list(crl), _crl_number(crl) + 1)
            _write_file(pki.crl_path, new.public_bytes(serialization.Encoding.PEM), 0o644)
        return pki


# -- creation ---------------------------------------------------------------------------------


def _create(directory: Path, officer_name: str, officer_email: str, qualified: bool) -> None:
    now = _now()
    root_key = _new_key()
    root_name = _name(ROOT_NAME, TEST_ORGANIZATION)
    root_ski = x509.SubjectKeyIdentifier.from_public_key(root_key.public_key())
    root_cert = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + ROOT_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(root_ski, critical=False)
        .sign(root_key, hashes.SHA256())
    )

    tsa_key = _new_key()
    tsa_cert = (
        _leaf_builder(root_cert, tsa_key, _name(TSA_NAME, TEST_ORGANIZATION), now, TSA_LIFETIME)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(root_key, hashes.SHA256())
    )

    _write_file(directory / "root.key", _key_pem(root_key), 0o600)
    _write_file(directory / "root.pem", _cert_pem(root_cert), 0o644)
    _write_file(directory / "tsa.key", _key_pem(tsa_key), 0o600)
    _write_file(directory / "tsa.pem", _cert_pem(tsa_cert), 0o644)
    _issue_officer(root_cert, root_key, directory, officer_name, officer_email, qualified)
    crl = _issue_crl(root_cert, root_key, [], 1)
    _write_file(directory / "crl.pem", crl.public_bytes(serialization.Encoding.PEM), 0o644)
    manifest = {
        "version": FORMAT_VERSION,
        "created_at": now.isoformat(),
        "note": "TEST PKI: never qualified, never use for real acts.",
    }
    _write_file(directory / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode(), 0o644)
    _fsync_dir(directory)


def _issue_officer(
    root_cert: x509.Certificate,
    root_key: PrivateKey,
    directory: Path,
    officer_name: str,
    officer_email: str,
    qualified: bool,
) -> None:
    now = _now()
    key = _new_key()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, OFFICE_ORGANIZATION),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, OFFICER_UNIT),
            x509.NameAttribute(NameOID.COMMON_NAME, officer_name),
        ]
    )
    builder = (
        _leaf_builder(root_cert, key, subject, now, OFFICER_LIFETIME)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING_OID]),
            critical=False,
        )
        .add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(officer_email)]), critical=False
        )
    )
    if qualified:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(QC_STATEMENTS_OID, qc.qualified_statements_der()),
            critical=False,
        )
    cert = builder.sign(root_key, hashes.SHA256())
    passphrase = secrets.token_urlsafe(24).encode("ascii")
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(100_000)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(passphrase)
    )
    p12 = pkcs12.serialize_key_and_certificates(
        officer_name.encode("utf-8"), key, cert, [root_cert], encryption
    )
    key_pem, cert_pem, pass_file = _key_pem(key), _cert_pem(cert), passphrase + b"\n"
    _write_file(directory / "officer.key", key_pem, 0o600)
    _write_file(directory / "officer.pem", cert_pem, 0o644)
    _write_file(directory / "officer.p12.pass", pass_file, 0o600)
    _write_file(directory / "officer.p12", p12, 0o600)
    # Written last: the fingerprints of the four files above, so that a crash half-way through
    # is detected (and the officer reissued) without decrypting the PKCS#12 at every load.
    seal = {name: _sha256(data) for name, data in _officer_files(key_pem, cert_pem, pass_file, p12)}
    _write_file(directory / OFFICER_SEAL, (json.dumps(seal, indent=2) + "\n").encode(), 0o644)
    _fsync_dir(directory)


def _officer_files(
    key_pem: bytes, cert_pem: bytes, pass_file: bytes, p12: bytes
) -> list[tuple[str, bytes]]:
    return [
        ("officer.key", key_pem),
        ("officer.pem", cert_pem),
        ("officer.p12.pass", pass_file),
        ("officer.p12", p12),
    ]


def _sha256(data: bytes) -> str:
    digest = hashes.Hash(hashes.SHA256())
    digest.update(data)
    return digest.finalize().hex()


def _leaf_builder(
    root_cert: x509.Certificate,
    key: PrivateKey,
    subject: x509.Name,
    now: datetime,
    lifetime: timedelta,
) -> x509.CertificateBuilder:
    not_after = min(now + lifetime, root_cert.not_valid_after_utc)
    root_ski = root_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski),
            critical=False,
        )
    )


def _issue_crl(
    root_cert: x509.Certificate,
    root_key: PrivateKey,
    entries: list[x509.RevokedCertificate],
    number: int,
) -> x509.CertificateRevocationList:
    now = _now()
    root_ski = root_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root_cert.subject)
        .last_update(now)
        .next_update(now + CRL_LIFETIME)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski),
            critical=False,
        )
    )
    for entry in entries:
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(root_key, hashes.SHA256())


def _crl_number(crl: x509.CertificateRevocationList) -> int:
    try:
        return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except x509.ExtensionNotFound:
        return 0


# -- loading ----------------------------------------------------------------------------------


def _load(directory: Path) -> TestPki:
    for name in _SECRET_FILES:
        path = directory / name
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            raise _broken(directory, f"{name} is missing") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise PkiError(
                f"Le fichier {path} est lisible par d'autres utilisateurs : Sceau refuse de "
                f"l'utiliser. Corrigez ses droits avec « chmod 600 {path} », puis relancez Sceau.",
                detail=f"{path} has mode {stat.filemode(mode)}",
            )
    try:
        passphrase = (directory / "officer.p12.pass").read_bytes().strip()
        return TestPki(
            directory=directory,
            root_cert=_load_cert(directory / "root.pem"),
            root_key=_load_key(directory / "root.key"),
            officer_cert=_load_cert(directory / "officer.pem"),
            officer_key=_load_key(directory / "officer.key"),
            officer_p12_passphrase=passphrase,
            tsa_cert=_load_cert(directory / "tsa.pem"),
            tsa_key=_load_key(directory / "tsa.key"),
        )
    except (OSError, ValueError, TypeError) as exc:
        raise _broken(directory, f"{type(exc).__name__}: {exc}") from exc


def _officer_ok(pki: TestPki, officer_name: str, officer_email: str, qualified: bool) -> bool:
    """Whether the stored officer certificate is the requested one and its files agree."""
    cert = pki.officer_cert
    names = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        emails = san.get_values_for_type(x509.RFC822Name)
    except x509.ExtensionNotFound:
        emails = []
    if names != [officer_name] or emails != [officer_email]:
        return False
    if has_qc_statements(cert) != qualified:
        return False
    try:
        seal = json.loads((pki.directory / OFFICER_SEAL).read_text("utf-8"))
        for name in ("officer.key", "officer.pem", "officer.p12.pass", "officer.p12"):
            if seal.get(name) != _sha256((pki.directory / name).read_bytes()):
                return False
    except (OSError, ValueError, AttributeError):
        return False
    return _public_der(pki.officer_key) == _public_der(cert)


def _load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _load_key(path: Path) -> PrivateKey:
    # Our own keys, in 0600 files: skipping OpenSSL's slow RSA consistency check is safe here.
    key = serialization.load_pem_private_key(
        path.read_bytes(), password=None, unsafe_skip_rsa_key_validation=True
    )
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise TypeError(f"unsupported key type {type(key).__name__} in {path.name}")
    return key


def _load_crl(path: Path) -> x509.CertificateRevocationList:
    try:
        return x509.load_pem_x509_crl(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise _broken(path.parent, f"crl: {type(exc).__name__}: {exc}") from exc


def _broken(directory: Path, detail: str) -> PkiError:
    return PkiError(
        f"Les certificats de TEST du dossier {directory} sont illisibles ou incomplets. "
        "Restaurez ce dossier depuis la dernière sauvegarde, ou supprimez-le pour qu'une "
        "nouvelle PKI de TEST soit créée (les jetons déjà émis ne se vérifieront qu'avec "
        "l'ancienne racine).",
        detail=detail,
    )


# -- helpers ----------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(
    *,
    digital_signature: bool = False,
    content_commitment: bool = False,
    key_cert_sign: bool = False,
    crl_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _public_der(obj: PrivateKey | x509.Certificate) -> bytes:
    return obj.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _ensure_private_dir(directory: Path) -> None:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
    except OSError as exc:
        raise PkiError(
            f"Le dossier {directory} ne peut pas être créé ou protégé. Vérifiez qu'il est "
            "accessible en écriture par l'utilisateur qui exécute Sceau, puis relancez-le.",
            detail=f"{type(exc).__name__}: {exc}",
        ) from exc


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive ``fcntl`` lock on ``path`` (created 0600 if needed)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _write_file(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, rename) with ``mode``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
