"""PAdES signatures of PDF documents by an officer, and their verification (pyHanko); no Django.

An officer signs a PDF with the key of a certificate held in a PKCS#12 file or on a card or
HSM reached through PKCS#11 (``signers``); :func:`sign_pdf` produces a PAdES baseline
signature, B-T always, B-LT with a validation context (``signing``); :func:`validate_pdf`
returns one :class:`SignatureReport` per signature (``validation``). pyHanko's synchronous
entry points run their own event loop: do not call them from a running asyncio loop."""

from __future__ import annotations

from sceau.notary.qc import (
    has_qc_compliance,
)
from sceau.notary.signatures.constants import (
    DEFAULT_FIELD_NAME,
    QC_COMPLIANCE_OID,
    QC_STATEMENTS_OID,
    STAMP_MARGIN,
    STAMP_SIZE,
)
from sceau.notary.signatures.signers import (
    Signer,
    signer_from_pkcs11,
    signer_from_pkcs12,
)
from sceau.notary.signatures.signing import (
    build_validation_context,
    sign_pdf,
)
from sceau.notary.signatures.validation import (
    SignatureReport,
    validate_pdf,
)

__all__ = [
    "DEFAULT_FIELD_NAME",
    "QC_COMPLIANCE_OID",
    "QC_STATEMENTS_OID",
    "STAMP_MARGIN",
    "STAMP_SIZE",
    "SignatureReport",
    "Signer",
    "build_validation_context",
    "has_qc_compliance",
    "sign_pdf",
    "signer_from_pkcs11",
    "signer_from_pkcs12",
    "validate_pdf",
]

# The errors live with the notary's others; importable from here as before.
from sceau.notary.errors import (
    PdfDocumentError,
    SignatureError,
    SignerCertificateError,
    SignerCredentialError,
)

__all__ += [
    "PdfDocumentError",
    "SignatureError",
    "SignerCertificateError",
    "SignerCredentialError",
]
