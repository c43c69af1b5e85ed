"""Deposit of a document, and the timestamped notices of provision."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from sceau.core.dates import (
    add_months_dt,
)
from sceau.core.errors import InvalidInput
from sceau.identity.models import User
from sceau.journal.cases import CaseRef
from sceau.journal.models import JournalEntry
from sceau.journal.services import record
from sceau.pieces.events import PiecesEvent
from sceau.pieces.models import Document, Dossier, Recipient
from sceau.pieces.services.scope import AVAILABILITY_MONTHS, officer
from sceau.vault import services as vault
from sceau.vault.core import SealedBlob
from sceau.vault.formats import display_name

# --- notices (avis horodatés) ---------------------------------------------------------------


def _audience(document: Document) -> QuerySet[Recipient]:
    if document.visible_to_all:
        return document.dossier.recipients.all()
    return document.recipients.all()


def _notify(
    kind: str,
    recipient: Recipient,
    entry: JournalEntry,
    document: Document | None = None,
    detail: str = "",
) -> None:
    """One timestamped notice for one recipient, in the transaction of the operation."""
    from sceau.notary.notices import NoticeFacts
    from sceau.notary.services import create_notice

    dossier = recipient.dossier
    facts = NoticeFacts(
        kind=kind,
        office=dossier.office.name,
        dossier_id=dossier.pk,
        dossier_reference=dossier.reference,
        recipient_id=recipient.pk,
        recipient_name=recipient.name,
        event_time=entry.recorded_at,
        journal_index=entry.index,
        detail=detail,
        document_id=document.pk if document else None,
        document_name=document.name if document else None,
        document_sha256=document.sha256 if document else None,
        available_until=document.expires_at if document else None,
    )
    create_notice(facts, dossier.office_id)


# --- deposit -------------------------------------------------------------------------------


def deposit(
    user: User,
    dossier: Dossier,
    sealed: SealedBlob,
    file_name: str,
    recipient_ids: list[int] | None = None,
) -> Document:
    """Record a sealed upload as a document of ``dossier``, visible to all or to some."""
    chosen: list[Recipient] = []
    if recipient_ids:
        ids = set(recipient_ids)
        chosen = list(dossier.recipients.filter(pk__in=ids))
        if len(chosen) != len(ids):
            raise InvalidInput("Certains destinataires choisis n'appartiennent pas à ce dossier.")
    now = timezone.now()
    with transaction.atomic():
        blob = vault.save_sealed(sealed)
        document = Document.objects.create(
            dossier=dossier,
            blob=blob,
            name=display_name(file_name, sealed.media_type),
            media_type=sealed.media_type,
            size=sealed.size,
            sha256=sealed.sha256,
            deposited_at=now,
            deposited_by=user,
            expires_at=add_months_dt(now, AVAILABILITY_MONTHS),
            visible_to_all=not chosen,
        )
        if chosen:
            document.recipients.set(chosen)
        entry = record(
            officer(user),
            PiecesEvent.DOCUMENT_DEPOSITED,
            object_kind="document",
            object_id=document.pk,
            office_id=dossier.office_id,
            case=CaseRef.dossier(dossier.pk),
            details={
                "sha256": sealed.sha256,
                "size": sealed.size,
                "media_type": sealed.media_type,
                "name": document.name,
                "expires_at": document.expires_at.isoformat(),
                "recipients": [r.pk for r in chosen] or "all",
            },
        )
        for recipient in _audience(document).select_related("dossier__office"):
            _notify("provision", recipient, entry, document, "dépôt")
    document.journal_index = entry.index
    return document
