"""The TEST PKI: created once then loaded, private files, a sound chain, honest labels."""

from __future__ import annotations

import os
import stat
import subprocess
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from sceau.notary.errors import PkiError
from sceau.notary.pki import (
    QC_STATEMENTS_OID,
    TestPki,
    ensure_test_pki,
    has_qc_statements,
)

SECRET_FILES = ("root.key", "officer.key", "officer.p12", "officer.p12.pass", "tsa.key")


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("notary") / "pki"


@pytest.fixture(scope="module")
def pki(pki_dir: Path) -> TestPki:
    return ensure_test_pki(pki_dir)


def _cn(cert: x509.Certificate) -> str:
    return str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _public(key: object) -> bytes:
    return key.public_key().public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _ensure_in_child(directory: str) -> bytes:
    return _der(ensure_test_pki(Path(directory)).root_cert)


# -- creation and idempotence -----------------------------------------------------------------


def test_second_call_loads_the_same_pki_and_rewrites_nothing(pki: TestPki, pki_dir: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in pki_dir.iterdir()}
    again = ensure_test_pki(pki_dir)
    after = {p.name: p.stat().st_mtime_ns for p in pki_dir.iterdir()}
    assert after == before
    assert again.root_cert == pki.root_cert
    assert again.officer_cert == pki.officer_cert
    assert again.tsa_cert == pki.tsa_cert
    assert _public(again.root_key) == _public(pki.root_key)
    assert _public(again.tsa_key) == _public(pki.tsa_key)
    assert again.officer_p12_passphrase == pki.officer_p12_passphrase


def test_concurrent_first_calls_create_a_single_pki(tmp_path: Path) -> None:
    directory = tmp_path / "shared"
    with ProcessPoolExecutor(max_workers=3, mp_context=get_context("fork")) as pool:
        roots = list(pool.map(_ensure_in_child, [str(directory)] * 3))
    assert len(set(roots)) == 1
    assert _der(ensure_test_pki(directory).root_cert) == roots[0]


def test_files_are_private(pki: TestPki, pki_dir: Path) -> None:
    assert stat.S_IMODE(pki_dir.stat().st_mode) == 0o700
    for name in SECRET_FILES:
        assert stat.S_IMODE((pki_dir / name).stat().st_mode) == 0o600, name
    assert not list(pki_dir.glob("*.tmp")), "temporary files left behind"


def test_refuses_a_private_key_readable_by_others(tmp_path: Path) -> None:
    directory = tmp_path / "pki"
    ensure_test_pki(directory)
    os.chmod(directory / "tsa.key", 0o644)
    with pytest.raises(PkiError) as caught:
        ensure_test_pki(directory)
    assert "chmod 600" in caught.value.message
    assert caught.value.code == "pki_error"


def test_damaged_file_raises_pki_error(tmp_path: Path) -> None:
    directory = tmp_path / "pki"
    ensure_test_pki(directory)
    (directory / "root.pem").write_text("not a certificate")
    with pytest.raises(PkiError) as caught:
        ensure_test_pki(directory)
    assert "illisibles ou incomplets" in caught.value.message
    assert caught.value.detail


def test_officer_reissued_when_name_changes_root_and_tsa_kept(tmp_path: Path) -> None:
    directory = tmp_path / "pki"
    first = ensure_test_pki(directory)
    second = ensure_test_pki(directory, officer_name="Maître Paul Durand (TEST)")
    assert _cn(second.officer_cert) == "Maître Paul Durand (TEST)"
    assert second.officer_cert != first.officer_cert
    assert second.root_cert == first.root_cert
    assert second.tsa_cert == first.tsa_cert
    assert second.officer_p12_passphrase != first.officer_p12_passphrase
    third = ensure_test_pki(directory, officer_name="Maître Paul Durand (TEST)")
    assert third.officer_cert == second.officer_cert


def test_officer_reissued_after_a_half_written_update(tmp_path: Path) -> None:
    directory = tmp_path / "pki"
    first = ensure_test_pki(directory)
    (directory / "officer.json").unlink()  # as if the process died before the last write
    second = ensure_test_pki(directory)
    assert second.officer_cert != first.officer_cert
    key, cert, _ = pkcs12.load_key_and_certificates(
        second.officer_p12_path.read_bytes(), second.officer_p12_passphrase
    )
    assert cert == second.officer_cert
    assert _public(key) == _public(second.officer_cert)


# -- the chain --------------------------------------------------------------------------------


def test_root_is_a_ten_year_ca(pki: TestPki) -> None:
    root = pki.root_cert
    assert root.subject == root.issuer
    root.verify_directly_issued_by(root)
    constraints = root.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    usage = root.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    lifetime = root.not_valid_after_utc - root.not_valid_before_utc
    assert timedelta(days=3650) <= lifetime <= timedelta(days=3654)


@pytest.mark.parametrize("which", ["officer_cert", "tsa_cert"])
def test_leaf_certificates_chain_to_the_root(pki: TestPki, which: str) -> None:
    leaf: x509.Certificate = getattr(pki, which)
    leaf.verify_directly_issued_by(pki.root_cert)
    assert leaf.not_valid_after_utc <= pki.root_cert.not_valid_after_utc
    constraints = leaf.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and not constraints.value.ca


def test_openssl_verifies_both_leaves_against_the_root(pki: TestPki) -> None:
    result = subprocess.run(
        [
            "openssl",
            "verify",
            "-CAfile",
            str(pki.root_cert_path),
            str(pki.officer_cert_path),
            str(pki.tsa_cert_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(": OK") == 2


def test_another_test_root_does_not_verify_the_leaves(pki: TestPki, tmp_path: Path) -> None:
    other = ensure_test_pki(tmp_path / "other")
    assert other.root_cert.subject == pki.root_cert.subject  # same name, different key
    for leaf in (pki.officer_cert, pki.tsa_cert):
        with pytest.raises(InvalidSignature):
            leaf.verify_directly_issued_by(other.root_cert)


def test_tsa_certificate_has_critical_timestamping_eku(pki: TestPki) -> None:
    eku = pki.tsa_cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical
    assert list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    usage = pki.tsa_cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature
    assert not usage.value.key_cert_sign


def test_officer_certificate_is_for_signing_and_names_the_officer(pki: TestPki) -> None:
    cert = pki.officer_cert
    public_key = cert.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size == 3072
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in list(eku)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.RFC822Name) == ["officier@etude-demo.test"]
    assert _cn(cert) == "Maître Claire Martin (TEST)"
    org = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    assert org == "Étude Démo (TEST)"


def test_no_qc_statements_unless_asked(pki: TestPki, tmp_path: Path) -> None:
    assert not has_qc_statements(pki.officer_cert)
    assert not pki.qualified
    flagged = ensure_test_pki(tmp_path / "qc", qualified=True)
    extension = flagged.officer_cert.extensions.get_extension_for_oid(QC_STATEMENTS_OID)
    assert not extension.critical
    assert flagged.qualified
    # Asking again without the flag reissues a plain certificate under the same root.
    plain = ensure_test_pki(tmp_path / "qc")
    assert not plain.qualified and plain.root_cert == flagged.root_cert


def test_openssl_parses_the_qc_statements(tmp_path: Path) -> None:
    flagged = ensure_test_pki(tmp_path / "qc", qualified=True)
    text = subprocess.run(
        ["openssl", "x509", "-in", str(flagged.officer_cert_path), "-noout", "-text"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "qcStatements" in text or "1.3.6.1.5.5.7.1.3" in text


def test_pkcs12_loads_with_its_passphrase_only(pki: TestPki) -> None:
    data = pki.officer_p12_path.read_bytes()
    assert (pki.officer_p12_passphrase_path.read_bytes().strip()) == pki.officer_p12_passphrase
    key, cert, extra = pkcs12.load_key_and_certificates(data, pki.officer_p12_passphrase)
    assert cert == pki.officer_cert
    assert _public(key) == _public(pki.officer_cert)
    assert extra == [pki.root_cert]
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(data, b"wrong passphrase")


def test_openssl_reads_the_pkcs12(pki: TestPki) -> None:
    result = subprocess.run(
        [
            "openssl",
            "pkcs12",
            "-in",
            str(pki.officer_p12_path),
            "-passin",
            "stdin",
            "-nokeys",
            "-clcerts",
        ],
        input=pki.officer_p12_passphrase + b"\n",
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    pem = result.stdout[result.stdout.index(b"-----BEGIN CERTIFICATE-----") :]
    assert x509.load_pem_x509_certificate(pem) == pki.officer_cert


# -- labels -----------------------------------------------------------------------------------


def test_every_subject_says_test_and_not_qualified(pki: TestPki) -> None:
    root, officer, tsa = (_cn(c) for c in (pki.root_cert, pki.officer_cert, pki.tsa_cert))
    assert root == "Sceau — AC racine de TEST (non qualifiée)"
    assert tsa == "Sceau — autorité d'horodatage intégrée (NON QUALIFIÉE)"
    assert "TEST" in officer
    officer_dn = pki.officer_cert.subject.rfc4514_string()
    assert "NON QUALIFIÉ" in officer_dn
    for cert in (pki.root_cert, pki.officer_cert, pki.tsa_cert):
        assert "TEST" in cert.subject.rfc4514_string()


# -- CRL --------------------------------------------------------------------------------------


def test_crl_is_empty_signed_by_the_root_and_valid_30_days(pki: TestPki) -> None:
    crl = x509.load_pem_x509_crl(pki.crl_path.read_bytes())
    assert crl.is_signature_valid(pki.root_cert.public_key())  # type: ignore[arg-type]
    assert crl.issuer == pki.root_cert.subject
    assert len(crl) == 0
    assert crl.next_update_utc is not None
    span = crl.next_update_utc - crl.last_update_utc
    assert span == timedelta(days=30)


def test_revoke_reissues_the_crl(tmp_path: Path) -> None:
    pki = ensure_test_pki(tmp_path / "pki")
    number = pki.crl().extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    crl = pki.revoke(pki.officer_cert)
    assert crl.is_signature_valid(pki.root_cert.public_key())  # type: ignore[arg-type]
    assert crl.get_revoked_certificate_by_serial_number(pki.officer_cert.serial_number)
    assert pki.is_revoked(pki.officer_cert)
    assert not pki.is_revoked(pki.tsa_cert)
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == number + 1
    again = pki.revoke(pki.officer_cert)
    assert len(again) == 1
    result = subprocess.run(
        [
            "openssl",
            "verify",
            "-crl_check",
            "-CAfile",
            str(pki.root_cert_path),
            "-CRLfile",
            str(pki.crl_path),
            str(pki.officer_cert_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "revoked" in (result.stdout + result.stderr)


def test_revoke_refuses_a_foreign_certificate(pki: TestPki) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Étranger")])
    now = datetime.now(UTC)
    foreign = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    with pytest.raises(PkiError):
        pki.revoke(foreign)


def test_stale_crl_is_reissued_on_load(tmp_path: Path) -> None:
    directory = tmp_path / "pki"
    pki = ensure_test_pki(directory)
    stale = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(pki.root_cert.subject)
        .last_update(datetime.now(UTC) - timedelta(days=29))
        .next_update(datetime.now(UTC) + timedelta(days=1))
        .add_extension(x509.CRLNumber(7), critical=False)
        .sign(pki.root_key, hashes.SHA256())
    )
    pki.crl_path.write_bytes(stale.public_bytes(serialization.Encoding.PEM))
    fresh = ensure_test_pki(directory).crl()
    assert fresh.next_update_utc is not None
    assert fresh.next_update_utc - datetime.now(UTC) > timedelta(days=29)
    assert fresh.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 8
