"""Model -> API dict conversions shared by the routers."""

from __future__ import annotations

from django.utils import timezone

from sceau.pieces import services
from sceau.pieces.models import Document, Dossier, Recipient


def recipient_out(recipient: Recipient) -> dict:
    credential = services.credential_of(recipient)
    return {
        "id": recipient.pk,
        "name": recipient.name,
        "kind": recipient.kind,
        "address": recipient.address,
        "email": recipient.email,
        "residence": recipient.residence,
        "served_on": recipient.served_on,
        "identifier": credential.identifier if credential else None,
        "credential_issued_at": credential.issued_at if credential else None,
        "opposition_deadline": services.opposition_deadline(recipient),
    }


def document_out(document: Document, now=None) -> dict:
    now = now or timezone.now()
    return {
        "id": document.pk,
        "name": document.name,
        "media_type": document.media_type,
        "size": document.size,
        "sha256": document.sha256,
        "deposited_at": document.deposited_at,
        "expires_at": document.expires_at,
        "available": document.is_available(now),
        "purged_at": document.purged_at,
        "recipients": "all"
        if document.visible_to_all
        else sorted(document.recipients.values_list("pk", flat=True)),
        "journal_index": getattr(document, "journal_index", None),
    }


def dossier_out(dossier: Dossier) -> dict:
    now = timezone.now()
    return {
        "id": dossier.pk,
        "reference": dossier.reference,
        "creditor": dossier.creditor,
        "court": dossier.court,
        "created_at": dossier.created_at,
        "recipients": [recipient_out(r) for r in dossier.recipients.all()],
        "documents": [document_out(d, now) for d in dossier.documents.all()],
    }
