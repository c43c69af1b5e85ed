"""Mes Pièces: every rule about dossiers, recipients, deposits, consultations and deletion.

Views, the API and commands only call these functions; each state change and its journal entry
share one transaction. One module per job: ``scope``, ``dossiers``, ``availability``,
``deposit``, ``consultation``, ``purge``.
"""

from __future__ import annotations

from sceau.pieces.services.availability import (
    documents_short_for,
    extend_document,
    extend_short_documents,
    minimum_expiry,
    record_signification,
    required_expiry,
    visible_documents,
)
from sceau.pieces.services.consultation import (
    ConsultationSummary,
    OpenedDocument,
    consult,
    consultation_summary,
    dossier_journal,
)
from sceau.pieces.services.deposit import (
    deposit,
)
from sceau.pieces.services.dossiers import (
    RecipientInput,
    add_recipient,
    create_dossier,
    credential_of,
    issue_credentials,
    recipient_for_credential,
    record_sign_in,
)
from sceau.pieces.services.purge import (
    OPPOSITION_MONTHS,
    PurgeReport,
    opposition_deadline,
    opposition_information,
    purge_expired,
)
from sceau.pieces.services.scope import (
    AVAILABILITY_MONTHS,
    HOLDER_KIND,
    MAX_EXTENSION_MONTHS,
    MIN_MONTHS_AFTER_SERVICE,
    VERIFY_BEFORE_SENDING_MAX,
    dossiers_for,
    get_document,
    get_dossier,
    get_recipient,
    officer,
    recipient_actor,
)

__all__ = [
    "AVAILABILITY_MONTHS",
    "HOLDER_KIND",
    "MAX_EXTENSION_MONTHS",
    "MIN_MONTHS_AFTER_SERVICE",
    "OPPOSITION_MONTHS",
    "VERIFY_BEFORE_SENDING_MAX",
    "ConsultationSummary",
    "OpenedDocument",
    "PurgeReport",
    "RecipientInput",
    "add_recipient",
    "consult",
    "consultation_summary",
    "create_dossier",
    "credential_of",
    "deposit",
    "documents_short_for",
    "dossier_journal",
    "dossiers_for",
    "extend_document",
    "extend_short_documents",
    "get_document",
    "get_dossier",
    "get_recipient",
    "issue_credentials",
    "minimum_expiry",
    "officer",
    "opposition_deadline",
    "opposition_information",
    "purge_expired",
    "recipient_actor",
    "recipient_for_credential",
    "record_sign_in",
    "record_signification",
    "required_expiry",
    "visible_documents",
]
