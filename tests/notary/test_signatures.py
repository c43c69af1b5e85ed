"""PAdES signing and verification (sceau.notary.signatures) against real tools.

The signatures are checked by our own verifier and by Poppler's ``pdfsig`` (NSS), and keys are
used from a PKCS#12 file and from a SoftHSM2 token reached through PKCS#11. The binaries are
Debian packages that ``make test`` installs; a missing one fails the test, it is never skipped.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import DummyTimeStamper
from tests import helpers
from tests.notary.pkihelp import (
    QC_COMPLIANCE_ONLY,
    QC_COMPLIANCE_SSCD_ESIGN,
    QC_SSCD_ONLY,
    Issued,
    TestPKI,
    write_pkcs12,
)

from sceau.notary import signatures
from sceau.notary.errors import NotaryError
from sceau.notary.signatures import (
    PdfDocumentError,
    SignatureError,
    SignerCertificateError,
    SignerCredentialError,
    build_validation_context,
    has_qc_compliance,
    sign_pdf,
    signer_from_pkcs11,
    signer_from_pkcs12,
    validate_pdf,
)

PASSPHRASE = b"phrase de passe du certificat"
TOKEN_LABEL = "sceau-test"
USER_PIN = "1234"
SO_PIN = "5678"
SOFTHSM_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
)
PDFSIG_VALID = "Signature Validation: Signature is Valid."
PDFSIG_TRUSTED = "Certificate Validation: Certificate is Trusted."
MISSING = (
    "{what} is missing: `make test` installs the Debian packages the suite needs "
    "(softhsm2, opensc, poppler-utils, libnss3-tools); run it, or install them with apt-get."
)


def require_binary(name: str) -> str:
    """The path of a needed binary; the test fails (never skips) when it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(MISSING.format(what=f"`{name}`"), pytrace=False)
    return path


def softhsm_module() -> str:
    """The SoftHSM2 PKCS#11 module of the softhsm2 package."""
    for candidate in SOFTHSM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    pytest.fail(MISSING.format(what="libsofthsm2.so (package softhsm2)"), pytrace=False)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), capture_output=True, text=True, timeout=120, check=False, env=env
    )


def make_pdf(pages: int = 2) -> bytes:
    """A small uncompressed PDF (so one byte of its text can be changed in place)."""
    return helpers.make_pdf(
        "TITRE EXECUTOIRE - page {page}",
        pages,
        more=("Le commissaire de justice soussigné certifie ce qui suit.",),
        compress=False,
        invariant=True,
    )


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI()


@pytest.fixture(scope="module")
def officer(pki: TestPKI) -> Issued:
    return pki.issue_officer()


@pytest.fixture(scope="module")
def tsa(pki: TestPKI) -> Issued:
    return pki.issue_tsa()


@pytest.fixture(scope="module")
def timestamper(pki: TestPKI, tsa: Issued) -> DummyTimeStamper:
    """pyHanko's in-process TSA, signing with the test TSA certificate."""
    return DummyTimeStamper(
        tsa_cert=tsa.asn1_cert, tsa_key=tsa.asn1_key, certs_to_embed=[pki.root.asn1_cert]
    )


@pytest.fixture(scope="module")
def p12_signer(
    pki: TestPKI, officer: Issued, tmp_path_factory: pytest.TempPathFactory
) -> signatures.Signer:
    path = tmp_path_factory.mktemp("p12") / "officer.p12"
    write_pkcs12(path, officer, PASSPHRASE, cas=[pki.root.cert])
    return signer_from_pkcs12(path, PASSPHRASE)


@pytest.fixture(scope="module")
def signed_pdf(p12_signer: signatures.Signer, timestamper: DummyTimeStamper) -> bytes:
    return sign_pdf(
        make_pdf(),
        p12_signer,
        timestamper=timestamper,
        reason="Délivrance d'un titre exécutoire",
        location="Paris",
    )


def nss_db(directory: Path, trusted_roots: list[Issued]) -> str:
    """An NSS database for pdfsig trusting ``trusted_roots`` (as CAs, "CT,C,C")."""
    certutil = require_binary("certutil")
    directory.mkdir(parents=True, exist_ok=True)
    created = run(certutil, "-N", "-d", f"sql:{directory}", "--empty-password")
    assert created.returncode == 0, created.stderr
    for number, root in enumerate(trusted_roots):
        der = directory / f"root{number}.der"
        der.write_bytes(root.cert_der)
        added = run(
            certutil, "-A", "-d", f"sql:{directory}", "-n", f"root{number}", "-t", "CT,C,C",
            "-i", str(der),
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
    return f"sql:{directory}"


def pdfsig(nssdir: str, pdf: bytes, tmp_path: Path, name: str = "signed.pdf") -> str:
    """Poppler's verdict on ``pdf`` (stdout of ``pdfsig -nssdir ...``)."""
    binary = require_binary("pdfsig")
    path = tmp_path / name
    path.write_bytes(pdf)
    result = run(binary, "-nssdir", nssdir, str(path))
    assert "Signature #1" in result.stdout, result.stdout + result.stderr
    return result.stdout


def shown_strings(content: bytes) -> list[str]:
    """The literal strings shown by ``Tj`` in a content stream, decoded (WinAnsi)."""
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
    shown = []
    for literal in re.findall(rb"\(((?:[^\\)]|\\.)*)\)\s*Tj", content, flags=re.S):
        out = bytearray()
        i = 0
        while i < len(literal):
            if literal[i : i + 1] == b"\\":
                octal = re.match(rb"[0-7]{1,3}", literal[i + 1 : i + 4])
                if octal:
                    out.append(int(octal.group(), 8))
                    i += 1 + len(octal.group())
                    continue
                nxt = literal[i + 1 : i + 2]
                out += escapes.get(nxt, nxt)
                i += 2
            else:
                out += literal[i : i + 1]
                i += 1
        shown.append(out.decode("cp1252"))
    return shown


def tamper_one_byte(pdf: bytes) -> bytes:
    """Change one letter of the first page's text, inside the first signed byte range."""
    at = pdf.index(b"TITRE EXECUTOIRE - page 1")
    first_range_end = int(pdf.split(b"/ByteRange")[1].split()[2].strip(b"[ "))
    assert at < first_range_end
    changed = bytearray(pdf)
    changed[at] = ord("D")  # "TITRE" -> "DITRE"
    return bytes(changed)


# --------------------------------------------------------------------------- PKCS#12


def test_p12_signature_is_valid_trusted_pades_b_t(signed_pdf: bytes, pki: TestPKI) -> None:
    before = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    [report] = validate_pdf(signed_pdf, [pki.root.cert])

    assert report.field_name == "SignatureSceau"
    assert report.valid and report.intact and report.trusted
    assert report.timestamp_valid
    assert report.level == "B-T"
    assert report.qualified is False
    assert report.covers_whole_file
    assert report.problems == []
    assert report.ok
    assert report.signer_name == "Maître Jeanne Dupont"
    assert report.signer_email == "jeanne.dupont@etude-dupont.test"
    assert report.signing_time is not None and report.signing_time > before
    assert report.timestamp_time is not None and report.timestamp_time > before
    assert "CN=Maître Jeanne Dupont" in report.chain[0]
    assert report.chain[-1] == pki.root.cert.subject.rfc4514_string()
    assert b"/ETSI.CAdES.detached" in signed_pdf


def test_visible_stamp_is_on_the_last_page_in_french(signed_pdf: bytes) -> None:
    reader = PdfFileReader(io.BytesIO(signed_pdf))
    [embedded] = reader.embedded_regular_signatures
    widget = embedded.sig_field
    rect = [float(v) for v in widget["/Rect"]]
    assert rect[2] - rect[0] > 100 and rect[3] - rect[1] > 40
    first_page, last_page = (page.get_object() for page in reader.root["/Pages"]["/Kids"])
    assert "/Annots" not in first_page
    assert [a.get_object().get("/T") for a in last_page["/Annots"]] == ["SignatureSceau"]
    appearance = widget["/AP"]["/N"]
    streams = [appearance.data]
    for xobject in appearance.get("/Resources", {}).get("/XObject", {}).values():
        streams.append(xobject.get_object().data)
    lines = [line for data in streams for line in shown_strings(data)]
    assert lines[0] == "Signé électroniquement par Maître Jeanne Dupont"
    assert lines[1].startswith("le ") and "(heure de Paris)" in lines[1]
    assert lines[2:] == ["Motif : Délivrance d'un titre exécutoire", "Lieu : Paris"]


def test_invisible_signature_validates(
    p12_signer: signatures.Signer, timestamper: DummyTimeStamper, pki: TestPKI
) -> None:
    signed = sign_pdf(
        make_pdf(1),
        p12_signer,
        timestamper=timestamper,
        reason="Test",
        location="Lyon",
        field_name="Invisible",
        visible=False,
    )
    [report] = validate_pdf(signed, [pki.root.cert])
    assert report.field_name == "Invisible"
    assert report.valid and report.trusted and report.level == "B-T"
    [embedded] = PdfFileReader(io.BytesIO(signed)).embedded_regular_signatures
    rect = [float(v) for v in embedded.sig_field["/Rect"]]
    assert rect[2] - rect[0] == 0 and rect[3] - rect[1] == 0


def test_qc_compliance_statement_makes_the_report_qualified(
    pki: TestPKI, timestamper: DummyTimeStamper, tmp_path: Path
) -> None:
    qualified = pki.issue_officer("Maître Paul Martin", qc_statements=QC_COMPLIANCE_SSCD_ESIGN)
    signer = signer_from_pkcs12(
        write_pkcs12(tmp_path / "qualified.p12", qualified, PASSPHRASE), PASSPHRASE
    )
    assert signer.qualified
    signed = sign_pdf(
        make_pdf(), signer, timestamper=timestamper, reason="Signification", location="Lille"
    )
    [report] = validate_pdf(signed, [pki.root.cert])
    assert report.qualified is True
    assert report.valid and report.trusted and report.signer_name == "Maître Paul Martin"


def test_qc_statements_parsing(pki: TestPKI) -> None:
    key = pki.issue_officer().key  # one key for the four certificates: faster
    assert has_qc_compliance(pki.issue_officer(qc_statements=QC_COMPLIANCE_ONLY, key=key).cert)
    assert has_qc_compliance(
        pki.issue_officer(qc_statements=QC_COMPLIANCE_SSCD_ESIGN, key=key).cert
    )
    assert not has_qc_compliance(pki.issue_officer(qc_statements=QC_SSCD_ONLY, key=key).cert)
    assert not has_qc_compliance(pki.issue_officer(key=key).cert)
    assert not has_qc_compliance(pki.issue_officer(qc_statements=b"\x30\x03\x02", key=key).cert)


def test_untrusted_root_is_reported(signed_pdf: bytes) -> None:
    other = TestPKI(root_name="Autre autorité", root_key_bits=2048)
    [report] = validate_pdf(signed_pdf, [other.root.cert])
    assert report.valid and report.intact
    assert not report.trusted
    assert not report.timestamp_valid
    assert not report.ok
    assert any("autorité de confiance" in problem for problem in report.problems)


def test_one_changed_byte_is_detected(signed_pdf: bytes, pki: TestPKI) -> None:
    [report] = validate_pdf(tamper_one_byte(signed_pdf), [pki.root.cert])
    assert not report.intact
    assert not report.valid
    assert not report.trusted
    assert any("modifié" in problem for problem in report.problems)


def test_wrong_pkcs12_passphrase(pki: TestPKI, officer: Issued, tmp_path: Path) -> None:
    path = write_pkcs12(tmp_path / "officer.p12", officer, PASSPHRASE)
    with pytest.raises(SignerCredentialError) as caught:
        signer_from_pkcs12(path, b"mauvais")
    assert "mot de passe est incorrect" in caught.value.message
    assert isinstance(caught.value, SignatureError) and isinstance(caught.value, NotaryError)
    with pytest.raises(SignerCredentialError, match="introuvable"):
        signer_from_pkcs12(tmp_path / "absent.p12", PASSPHRASE)


def test_expired_certificate_is_refused(
    pki: TestPKI, timestamper: DummyTimeStamper, tmp_path: Path
) -> None:
    now = dt.datetime.now(dt.UTC)
    expired = pki.issue_officer(
        not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=2)
    )
    signer = signer_from_pkcs12(write_pkcs12(tmp_path / "old.p12", expired, b"x"), b"x")
    with pytest.raises(SignerCertificateError) as caught:
        sign_pdf(make_pdf(), signer, timestamper=timestamper, reason="r", location="l")
    assert "a expiré le" in caught.value.message
    assert caught.value.detail and "expired" in caught.value.detail


def test_revoked_certificate_is_refused_with_a_validation_context(
    pki: TestPKI, timestamper: DummyTimeStamper, tmp_path: Path
) -> None:
    revoked = pki.issue_officer("Maître Révoqué")
    signer = signer_from_pkcs12(write_pkcs12(tmp_path / "rev.p12", revoked, b"x"), b"x")
    context = build_validation_context(
        [pki.root.cert], crls=[pki.crl(revoked=[revoked.cert])], revocation_mode="hard-fail"
    )
    with pytest.raises(SignerCertificateError, match="révoqué"):
        sign_pdf(
            make_pdf(),
            signer,
            timestamper=timestamper,
            reason="r",
            location="l",
            validation_context=context,
        )


def test_b_lt_embeds_revocation_information(
    p12_signer: signatures.Signer, timestamper: DummyTimeStamper, pki: TestPKI, tmp_path: Path
) -> None:
    context = build_validation_context([pki.root.cert], crls=[pki.crl()])
    signed = sign_pdf(
        make_pdf(),
        p12_signer,
        timestamper=timestamper,
        reason="Titre exécutoire",
        location="Paris",
        validation_context=context,
    )
    [report] = validate_pdf(signed, [pki.root.cert])
    assert report.level == "B-LT"
    assert report.valid and report.trusted and report.timestamp_valid
    assert report.covers_whole_file  # the DSS is in the signed revision
    assert report.problems == []
    out = pdfsig(nss_db(tmp_path / "nss", [pki.root]), signed, tmp_path)
    assert PDFSIG_VALID in out and PDFSIG_TRUSTED in out


def test_second_signature_is_stacked_and_first_reports_the_addition(
    p12_signer: signatures.Signer, timestamper: DummyTimeStamper, pki: TestPKI, signed_pdf: bytes
) -> None:
    twice = sign_pdf(
        signed_pdf,
        p12_signer,
        timestamper=timestamper,
        reason="Contreseing",
        location="Paris",
        field_name="Signature2",
    )
    first, second = validate_pdf(twice, [pki.root.cert])
    assert (first.field_name, second.field_name) == ("SignatureSceau", "Signature2")
    assert first.valid and first.trusted and not first.covers_whole_file
    assert any("complété après cette signature" in p for p in first.problems)
    assert second.valid and second.trusted and second.covers_whole_file
    reader = PdfFileReader(io.BytesIO(twice))
    rects = [
        [float(v) for v in sig.sig_field["/Rect"]] for sig in reader.embedded_regular_signatures
    ]
    assert rects[1][1] >= rects[0][3]  # the new stamp sits above the first one

    with pytest.raises(SignatureError, match="déjà signé"):
        sign_pdf(twice, p12_signer, timestamper=timestamper, reason="r", location="l")


def test_unreadable_or_unsigned_documents(
    p12_signer: signatures.Signer, timestamper: DummyTimeStamper, pki: TestPKI
) -> None:
    with pytest.raises(PdfDocumentError, match="aucune signature"):
        validate_pdf(make_pdf(), [pki.root.cert])
    with pytest.raises(PdfDocumentError, match="illisible"):
        validate_pdf(b"ceci n'est pas un PDF", [pki.root.cert])
    with pytest.raises(PdfDocumentError, match="illisible"):
        sign_pdf(
            b"%PDF-1.7 truncated", p12_signer, timestamper=timestamper, reason="r", location="l"
        )
    with pytest.raises(SignatureError, match="horodatage"):
        sign_pdf(make_pdf(), p12_signer, timestamper=None, reason="r", location="l")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- pdfsig (Poppler)


def test_pdfsig_says_valid_and_trusted(signed_pdf: bytes, pki: TestPKI, tmp_path: Path) -> None:
    out = pdfsig(nss_db(tmp_path / "nss", [pki.root]), signed_pdf, tmp_path)
    assert PDFSIG_VALID in out
    assert PDFSIG_TRUSTED in out
    assert "Signature Type: ETSI.CAdES.detached" in out
    assert "Total document signed" in out


def test_pdfsig_without_the_root_says_not_trusted(signed_pdf: bytes, tmp_path: Path) -> None:
    out = pdfsig(nss_db(tmp_path / "nss", []), signed_pdf, tmp_path)
    assert PDFSIG_VALID in out
    assert "Certificate Validation:" in out
    assert PDFSIG_TRUSTED not in out


def test_pdfsig_detects_one_changed_byte(signed_pdf: bytes, pki: TestPKI, tmp_path: Path) -> None:
    out = pdfsig(nss_db(tmp_path / "nss", [pki.root]), tamper_one_byte(signed_pdf), tmp_path)
    assert "Signature Validation:" in out
    assert PDFSIG_VALID not in out
    assert "Digest Mismatch" in out or "Signature is Invalid" in out


# --------------------------------------------------------------------------- PKCS#11 (SoftHSM2)


@pytest.fixture(scope="module")
def softhsm_token(
    pki: TestPKI, officer: Issued, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A SoftHSM2 token ``sceau-test`` holding the officer's key and certificate.

    Its configuration and token directory live in a temporary folder; ``SOFTHSM2_CONF``
    points there for the module (before the PKCS#11 module is first loaded).
    """
    softhsm2_util = require_binary("softhsm2-util")
    pkcs11_tool = require_binary("pkcs11-tool")
    module = softhsm_module()
    base = tmp_path_factory.mktemp("softhsm")
    (base / "tokens").mkdir()
    conf = base / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {base / 'tokens'}\n"
        "objectstore.backend = file\n"
        "log.level = ERROR\n"
        "slots.removable = false\n"
    )
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    init = run(
        softhsm2_util, "--init-token", "--free", "--label", TOKEN_LABEL,
        "--pin", USER_PIN, "--so-pin", SO_PIN, env=env,
    )  # fmt: skip
    assert init.returncode == 0, init.stdout + init.stderr
    key_der = base / "key.der"
    cert_der = base / "cert.der"
    key_der.write_bytes(officer.key_der_pkcs8)
    cert_der.write_bytes(officer.cert_der)
    for path, kind in ((key_der, "privkey"), (cert_der, "cert")):
        written = run(
            pkcs11_tool, "--module", module, "--token-label", TOKEN_LABEL, "--login",
            "--pin", USER_PIN, "--write-object", str(path), "--type", kind,
            "--label", "officer", "--id", "01", env=env,
        )  # fmt: skip
        assert written.returncode == 0, written.stdout + written.stderr
    key_der.unlink()  # the key now lives on the token only

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOFTHSM2_CONF", str(conf))
        yield module


def test_pkcs11_softhsm_signature_validates(
    softhsm_token: str,
    officer: Issued,
    timestamper: DummyTimeStamper,
    pki: TestPKI,
    tmp_path: Path,
) -> None:
    signer = signer_from_pkcs11(softhsm_token, TOKEN_LABEL, USER_PIN, "officer")
    assert signer.certificate == officer.cert
    assert signer.display_name == "Maître Jeanne Dupont"
    signed = sign_pdf(
        make_pdf(), signer, timestamper=timestamper, reason="Titre exécutoire", location="Paris"
    )
    # a second signature opens a fresh PKCS#11 session
    signed = sign_pdf(
        signed,
        signer,
        timestamper=timestamper,
        reason="Second",
        location="Paris",
        field_name="Signature2",
    )
    first, second = validate_pdf(signed, [pki.root.cert])
    assert first.valid and first.trusted and first.timestamp_valid and first.level == "B-T"
    assert second.valid and second.trusted and second.covers_whole_file
    out = pdfsig(nss_db(tmp_path / "nss", [pki.root]), signed, tmp_path)
    assert out.count(PDFSIG_VALID) == 2
    assert PDFSIG_TRUSTED in out


def test_pkcs11_wrong_pin_is_a_french_error(softhsm_token: str) -> None:
    with pytest.raises(SignerCredentialError) as caught:
        signer_from_pkcs11(softhsm_token, TOKEN_LABEL, "0000", "officer")
    assert caught.value.message.startswith("Code PIN incorrect")
    assert "PinIncorrect" in (caught.value.detail or "")
    # the right PIN still works afterwards
    signer_from_pkcs11(softhsm_token, TOKEN_LABEL, USER_PIN, "officer")


def test_pkcs11_unknown_token_key_or_module(softhsm_token: str) -> None:
    with pytest.raises(SignerCredentialError, match="Aucune carte ni jeton"):
        signer_from_pkcs11(softhsm_token, "absent", USER_PIN, "officer")
    with pytest.raises(SignerCredentialError, match="introuvable"):
        signer_from_pkcs11(softhsm_token, TOKEN_LABEL, USER_PIN, "autre-cle")
    with pytest.raises(SignerCredentialError, match="introuvable"):
        signer_from_pkcs11(softhsm_token, TOKEN_LABEL, USER_PIN, "autre-cle", cert_label="officer")
    with pytest.raises(SignerCredentialError, match="module PKCS#11"):
        signer_from_pkcs11("/nonexistent/libpkcs11.so", TOKEN_LABEL, USER_PIN, "officer")


def test_revocation_after_signing_is_reported(
    pki: TestPKI, timestamper: DummyTimeStamper, tmp_path: Path
) -> None:
    officer = pki.issue_officer("Maître Bientôt Révoqué")
    signer = signer_from_pkcs12(write_pkcs12(tmp_path / "o.p12", officer, b"x"), b"x")
    signed = sign_pdf(make_pdf(), signer, timestamper=timestamper, reason="r", location="l")
    [report] = validate_pdf(signed, [pki.root.cert], crls=[pki.crl(revoked=[officer.cert])])
    assert report.valid and not report.trusted
    assert "Le certificat du signataire a été révoqué." in report.problems


def test_broken_signature_container_is_reported_not_raised(signed_pdf: bytes, pki: TestPKI) -> None:
    start = signed_pdf.index(b"/Contents <") + len(b"/Contents <")
    broken = bytearray(signed_pdf)
    broken[start : start + 8] = b"00000000"  # the CMS ContentInfo header, outside the ranges
    [report] = validate_pdf(bytes(broken), [pki.root.cert])
    assert report.field_name == "SignatureSceau"
    assert not report.valid and not report.trusted
    assert any("endommagée" in problem for problem in report.problems)
