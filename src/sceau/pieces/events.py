"""The journal tags of Mes Pièces (dossiers, recipients, credentials, documents, service).

Written and read only through this enum, never as strings spelled again elsewhere.
"""

from sceau.journal.events import EventTag


class PiecesEvent(EventTag):
    CREDENTIAL_ISSUED = "pieces:credential:issued"
    CREDENTIAL_REISSUED = "pieces:credential:reissued"
    DOCUMENT_CONSULTED = "pieces:document:consulted"
    DOCUMENT_DEPOSITED = "pieces:document:deposited"
    DOCUMENT_EXTENDED = "pieces:document:extended"
    DOCUMENT_INTEGRITY_FAILED = "pieces:document:integrity_failed"
    DOCUMENT_PURGED = "pieces:document:purged"
    DOSSIER_CREATED = "pieces:dossier:created"
    RECIPIENT_ADDED = "pieces:recipient:added"
    RECIPIENT_LOGGED_IN = "pieces:recipient:logged_in"
    RECIPIENT_SERVED = "pieces:recipient:served"
