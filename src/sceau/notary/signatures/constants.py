"""Names and sizes shared by signing and validation (field name, QC OIDs, the visible stamp)."""

from __future__ import annotations

from sceau.notary.qc import QC_COMPLIANCE_OID, QC_STATEMENTS_OID  # noqa: F401 (re-exported)

DEFAULT_FIELD_NAME = "SignatureSceau"

STAMP_TEXT = (
    "Signé électroniquement par %(signer)s\n"
    "le %(signed_at)s\n"
    "Motif : %(reason)s\n"
    "Lieu : %(location)s"
)
STAMP_SIZE = (290, 72)  # width, height in PDF points
STAMP_MARGIN = 36
DISPLAY_TIMEZONE = "Europe/Paris"
