"""QC statements (RFC 3739, ETSI EN 319 412-5) of a certificate: parsed and built in one place.

A qualified certificate declares itself with a QCStatements extension holding QcCompliance,
QcSSCD (the key is on a qualified signature creation device) and QcType esign. This module
reads those claims (the signature code and the TEST PKI both use it) and builds them for the
TEST PKI's qualified-profile certificates. No Django.
"""

from __future__ import annotations

from asn1crypto import core as asn1_core
from cryptography import x509

QC_STATEMENTS_OID = "1.3.6.1.5.5.7.1.3"  # id-pe-qcStatements (RFC 3739)
QC_COMPLIANCE_OID = "0.4.0.1862.1.1"  # ETSI EN 319 412-5 QcCompliance
QC_SSCD_OID = "0.4.0.1862.1.4"  # QcSSCD
QC_TYPE_OID = "0.4.0.1862.1.6"  # QcType
QC_TYPE_ESIGN_OID = "0.4.0.1862.1.6.1"  # QcType: electronic signature


class _QcStatement(asn1_core.Sequence):
    _fields = [
        ("statement_id", asn1_core.ObjectIdentifier),
        ("statement_info", asn1_core.Any, {"optional": True}),
    ]


class _QcStatements(asn1_core.SequenceOf):
    _child_spec = _QcStatement


class _QcTypes(asn1_core.SequenceOf):
    _child_spec = asn1_core.ObjectIdentifier


def _extension(cert: x509.Certificate) -> x509.Extension | None:
    try:
        return cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(QC_STATEMENTS_OID))
    except x509.ExtensionNotFound:
        return None


def statement_ids(cert: x509.Certificate) -> list[str]:
    """The statement OIDs of the certificate's QCStatements extension ([] when absent).

    Raises ``ValueError`` when the extension is present but not valid DER.
    """
    ext = _extension(cert)
    if ext is None:
        return []
    value = ext.value
    raw = value.value if isinstance(value, x509.UnrecognizedExtension) else value.public_bytes()
    return [s["statement_id"].dotted for s in _QcStatements.load(raw, strict=True)]


def has_qc_statements(cert: x509.Certificate) -> bool:
    """Whether ``cert`` carries a QCStatements extension at all."""
    return _extension(cert) is not None


def has_qc_compliance(cert: x509.Certificate) -> bool:
    """Whether ``cert`` declares the ETSI QcCompliance statement (an EU qualified certificate).

    This reads the certificate's own claim; it does not check the issuer against the EU trusted
    lists. A malformed QCStatements extension counts as no claim.
    """
    try:
        return QC_COMPLIANCE_OID in statement_ids(cert)
    except ValueError:
        return False


def qualified_statements_der() -> bytes:
    """QCStatements: QcCompliance, QcSSCD, QcType esign (for TEST qualified-profile certs)."""
    qc_type = asn1_core.Any.load(_QcTypes([QC_TYPE_ESIGN_OID]).dump())
    return _QcStatements(
        [
            {"statement_id": QC_COMPLIANCE_OID},
            {"statement_id": QC_SSCD_OID},
            {"statement_id": QC_TYPE_OID, "statement_info": qc_type},
        ]
    ).dump()
