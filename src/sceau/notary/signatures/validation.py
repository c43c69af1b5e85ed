"""Validation reports of the PAdES signatures of a PDF."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from io import BytesIO
from typing import TYPE_CHECKING, Any

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from sceau.notary.errors import (
    PdfDocumentError,
)
from sceau.notary.qc import has_qc_compliance, statement_ids
from sceau.notary.signatures.constants import QC_COMPLIANCE_OID
from sceau.notary.signatures.signers import _display_name, _email, _from_asn1, _subject, _to_asn1

if TYPE_CHECKING:
    from pyhanko_certvalidator import ValidationContext


@dataclass(frozen=True)
class SignatureReport:
    """What :func:`validate_pdf` found about one signature of a document.

    * ``valid``: the signed bytes are unchanged (``intact``) and the signature value verifies;
    * ``trusted``: the signer's certificate chains to one of the given roots, is not revoked
      (as far as the revocation information at hand tells) and allows signing
      (nonRepudiation);
    * ``timestamp_valid``: a signature time-stamp is present, matches the signature and
      chains to one of the given roots; ``timestamp_time`` is its time;
    * ``qualified``: the signer's certificate carries the ETSI QcCompliance statement;
    * ``signing_time``: the time the signer claims (signed attribute, else the ``/M`` entry);
    * ``level``: the PAdES baseline form of the signature: ``"B-B"`` (no valid time-stamp),
      ``"B-T"``, or ``"B-LT"`` (plus revocation information for the signer's certificate in
      the document security store). It says nothing of integrity: read it with ``valid``;
    * ``covers_whole_file``: nothing was appended to the document after this signature;
    * ``problems``: French sentences for the user, empty when all is well.
    """

    field_name: str
    valid: bool
    intact: bool
    trusted: bool
    signer_name: str
    signer_email: str | None
    signing_time: dt.datetime | None
    timestamp_time: dt.datetime | None
    timestamp_valid: bool
    chain: list[str]
    qualified: bool
    level: str
    covers_whole_file: bool
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Valid, trusted, time-stamped and covering the whole file."""
        return self.valid and self.trusted and self.timestamp_valid and self.covers_whole_file


def _chain_subjects(signer_cert: x509.Certificate, candidates: list[x509.Certificate]) -> list[str]:
    """Subjects from the signer up to the last issuer found among ``candidates``."""
    subjects = [_subject(signer_cert)]
    current = signer_cert
    seen = {current.fingerprint(_sha256())}
    while current.issuer != current.subject:
        issuer = next((c for c in candidates if c.subject == current.issuer), None)
        if issuer is None:
            break
        marker = issuer.fingerprint(_sha256())
        if marker in seen:
            break
        seen.add(marker)
        subjects.append(_subject(issuer))
        current = issuer
    return subjects


def _sha256() -> Any:
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


def _dss_has_revinfo_for(reader: Any, signer_cert: asn1_x509.Certificate) -> bool:
    """Whether the DSS holds a CRL of the signer's issuer or an OCSP answer for the signer."""
    from pyhanko.sign.validation import DocumentSecurityStore
    from pyhanko.sign.validation.errors import NoDSSFoundError

    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return False
    for ref in dss.crls:
        try:
            crl = asn1_crl.CertificateList.load(ref.get_object().data)
            if crl["tbs_cert_list"]["issuer"] == signer_cert.issuer:
                return True
        except (ValueError, KeyError, TypeError):
            continue
    for ref in dss.ocsps:
        try:
            resp = asn1_ocsp.OCSPResponse.load(ref.get_object().data)
            for single in resp.basic_ocsp_response["tbs_response_data"]["responses"]:
                if single["cert_id"]["serial_number"].native == signer_cert.serial_number:
                    return True
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return False


def _validation_context_for(
    reader: Any, trust_roots: list[x509.Certificate], crls: list[Any] | None
) -> ValidationContext:
    from pyhanko.sign.validation import DocumentSecurityStore
    from pyhanko.sign.validation.errors import NoDSSFoundError

    kwargs: dict[str, Any] = {
        "trust_roots": [_to_asn1(c) for c in trust_roots],
        "crls": [
            c.public_bytes(serialization.Encoding.DER)
            if isinstance(c, x509.CertificateRevocationList)
            else c
            for c in crls or []
        ],
        "allow_fetching": False,
        "revocation_mode": "soft-fail",
    }
    try:
        return DocumentSecurityStore.read_dss(reader).as_validation_context(kwargs)
    except NoDSSFoundError:
        from pyhanko_certvalidator import ValidationContext

        return ValidationContext(**kwargs)


def _report(embedded: Any, status: Any, reader: Any, *, field_name: str) -> SignatureReport:
    from pyhanko.sign.validation import SignatureCoverageLevel

    signer_cert = _from_asn1(embedded.signer_cert)
    problems: list[str] = []

    intact = bool(status.intact)
    valid = intact and bool(status.valid)
    trusted = bool(status.trusted)
    if not intact:
        problems.append(
            "Le contenu signé a été modifié après la signature : l'empreinte du document ne "
            "correspond plus à celle qui a été signée."
        )
    elif not status.valid:
        problems.append("La valeur de la signature est invalide (signature falsifiée).")
    if valid and not trusted:
        if status.revoked:
            problems.append("Le certificat du signataire a été révoqué.")
        else:
            problems.append(
                "Le certificat du signataire n'est pas rattaché à une autorité de confiance "
                "reconnue, n'est pas valide à cette date ou ne permet pas de signer."
            )

    ts = status.timestamp_validity
    timestamp_time = ts.timestamp if ts is not None else None
    timestamp_valid = bool(ts is not None and ts.intact and ts.valid and ts.trusted)
    if ts is None:
        problems.append("La signature ne comporte pas d'horodatage (jeton d'horodatage absent).")
    elif not timestamp_valid:
        problems.append(
            "L'horodatage de la signature est invalide ou son autorité n'est pas reconnue."
        )

    coverage = status.coverage
    covers_whole_file = coverage == SignatureCoverageLevel.ENTIRE_FILE
    if not covers_whole_file:
        if coverage == SignatureCoverageLevel.ENTIRE_REVISION and status.docmdp_ok:
            problems.append(
                "Le document a été complété après cette signature (ajouts autorisés, comme une "
                "autre signature ou des informations de validation)."
            )
        elif coverage == SignatureCoverageLevel.ENTIRE_REVISION:
            problems.append(
                "Le document a été modifié après cette signature d'une manière non autorisée."
            )
        else:
            problems.append("La signature ne couvre pas l'ensemble du document.")

    try:
        qualified = QC_COMPLIANCE_OID in statement_ids(signer_cert)
    except ValueError:
        qualified = False
        problems.append("La déclaration de certificat qualifié (QCStatements) est illisible.")

    if not timestamp_valid:
        level = "B-B"
    elif _dss_has_revinfo_for(reader, embedded.signer_cert):
        level = "B-LT"
    else:
        level = "B-T"

    if status.validation_path is not None:
        path_certs = [_from_asn1(c) for c in status.validation_path.iter_certs(True)]
        chain = [_subject(c) for c in reversed(path_certs)]
        if not path_certs:  # pragma: no cover - a path always holds the leaf
            chain = [_subject(signer_cert)]
    else:
        others = [_from_asn1(c) for c in embedded.other_embedded_certs]
        chain = _chain_subjects(signer_cert, others)

    return SignatureReport(
        field_name=field_name,
        valid=valid,
        intact=intact,
        trusted=trusted,
        signer_name=_display_name(signer_cert),
        signer_email=_email(signer_cert),
        signing_time=status.signer_reported_dt,
        timestamp_time=timestamp_time,
        timestamp_valid=timestamp_valid,
        chain=chain,
        qualified=qualified,
        level=level,
        covers_whole_file=covers_whole_file,
        problems=problems,
    )


def _collect_signatures(reader: Any) -> list[tuple[str, Any]]:
    """The document's ``/Sig`` signatures in signing order, as ``(field name, item)`` pairs.

    ``item`` is a pyHanko ``EmbeddedPdfSignature``, or the exception raised while reading a
    signature whose container is broken (so that it is reported rather than hiding the others).
    """
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign.fields import enumerate_sig_fields
    from pyhanko.sign.validation import EmbeddedPdfSignature

    entries: list[tuple[float, str, Any]] = []
    for fq_name, sig_object_ref, sig_field in enumerate_sig_fields(reader, filled_status=True):
        sig_object = sig_object_ref.get_object()
        if sig_object.get("/Type", "/Sig") != "/Sig":  # document time-stamps
            continue
        try:
            order = float(reader.xrefs.get_last_change(sig_object_ref.reference))
        except (AttributeError, KeyError, ValueError, PdfError):
            order = float("inf")
        try:
            item: Any = EmbeddedPdfSignature(reader, sig_field, fq_name)
        except (PdfError, ValueError, TypeError, KeyError, IndexError) as exc:
            item = exc
        entries.append((order, str(fq_name), item))
    entries.sort(key=lambda entry: entry[0])
    return [(name, item) for _, name, item in entries]


def validate_pdf(
    pdf: bytes,
    trust_roots: list[x509.Certificate],
    *,
    crls: list[x509.CertificateRevocationList] | None = None,
) -> list[SignatureReport]:
    """Verify every signature of ``pdf`` against ``trust_roots``; one report each, in order.

    Verification is offline, at the current time: the revocation information used is ``crls``
    plus what the document embeds (its document security store); nothing is fetched. Document
    time-stamps (``/DocTimeStamp``) are not reported. A signature whose container cannot even
    be decoded gets a report saying so (invalid), the others are still verified.

    Raises :class:`PdfDocumentError` when the document cannot be parsed or holds no signature.
    """
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature

    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        signatures = _collect_signatures(reader)
    except (PdfError, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise PdfDocumentError(
            "Le document PDF est illisible ou endommagé : ses signatures ne peuvent pas être "
            "vérifiées.",
            detail=f"cannot parse PDF: {exc}",
        ) from exc
    if not signatures:
        raise PdfDocumentError(
            "Ce document PDF ne comporte aucune signature électronique.",
            detail="no /Sig signature in document",
        )

    context = _validation_context_for(reader, trust_roots, crls)
    reports = []
    for field_name, embedded in signatures:
        if isinstance(embedded, Exception):
            reports.append(_broken_report(None, field_name, embedded))
            continue
        try:
            status = validate_pdf_signature(embedded, signer_validation_context=context)
        except Exception as exc:  # noqa: BLE001 - a broken signature is reported, not raised
            reports.append(_broken_report(embedded, field_name, exc))
            continue
        reports.append(_report(embedded, status, reader, field_name=field_name))
    return reports


def _broken_report(embedded: Any | None, field_name: str, exc: Exception) -> SignatureReport:
    """A report for a signature whose CMS structure could not even be evaluated."""
    signer_cert: x509.Certificate | None = None
    if embedded is not None:
        try:
            signer_cert = _from_asn1(embedded.signer_cert)
        except Exception:  # noqa: BLE001 - no usable signer certificate
            signer_cert = None
    return SignatureReport(
        field_name=field_name,
        valid=False,
        intact=False,
        trusted=False,
        signer_name=_display_name(signer_cert) if signer_cert else "",
        signer_email=_email(signer_cert) if signer_cert else None,
        signing_time=None,
        timestamp_time=None,
        timestamp_valid=False,
        chain=[_subject(signer_cert)] if signer_cert else [],
        qualified=has_qc_compliance(signer_cert) if signer_cert else False,
        level="B-B",
        covers_whole_file=False,
        problems=[
            "La signature est endommagée (structure illisible) et n'a pas pu être vérifiée.",
        ],
    )
