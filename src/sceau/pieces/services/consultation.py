"""Consultation by a recipient: integrity checked, journaled, noticed; summaries, journal."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Max, Min, QuerySet

from sceau.core.errors import NotFound
from sceau.journal.cases import CaseRef
from sceau.journal.models import JournalEntry
from sceau.journal.services import Actor, record
from sceau.pieces import policy
from sceau.pieces.errors import (
    DocumentUnavailable,
)
from sceau.pieces.events import PiecesEvent
from sceau.pieces.models import Consultation, Document, Dossier, Recipient
from sceau.pieces.services.availability import _fr_date, visible_documents
from sceau.pieces.services.deposit import _notify
from sceau.pieces.services.scope import recipient_actor
from sceau.vault import services as vault

# --- consultation --------------------------------------------------------------------------

log = logging.getLogger(__name__)


@dataclass
class OpenedDocument:
    document: Document
    journal_index: int
    chunks: Iterator[bytes] = field(repr=False)


def _journal_integrity_failure(recipient: Recipient | None, document: Document, detail: str):
    actor = recipient_actor(recipient) if recipient else Actor.system()
    with transaction.atomic():
        return record(
            actor,
            PiecesEvent.DOCUMENT_INTEGRITY_FAILED,
            object_kind="document",
            object_id=document.pk,
            office_id=document.dossier.office_id,
            case=CaseRef.dossier(document.dossier_id),
            details={"sha256": document.sha256, "detail": detail[:200]},
        )


def consult(recipient: Recipient, document_id: int, mode: str) -> OpenedDocument:
    """Open one document for a recipient: checks rights, availability and integrity, journals."""
    document = (
        visible_documents(recipient).select_related("blob", "dossier").filter(pk=document_id)
    ).first()
    if document is None:
        raise NotFound("Ce document n'existe pas ou ne vous est pas destiné.")
    if not policy.may_consult(document):
        raise DocumentUnavailable(
            f"Ce document n'est plus disponible depuis le {_fr_date(document.expires_at)} : "
            "sa durée de mise à disposition a pris fin. Contactez l'étude si besoin."
        )

    def failed(detail: str) -> None:
        _journal_integrity_failure(recipient, document, detail)

    checked = vault.open_checked(document.blob, failed)  # refused before the first byte if bad
    with transaction.atomic():
        entry = record(
            recipient_actor(recipient),
            PiecesEvent.DOCUMENT_CONSULTED,
            object_kind="document",
            object_id=document.pk,
            office_id=document.dossier.office_id,
            case=CaseRef.dossier(document.dossier_id),
            details={"sha256": document.sha256, "mode": mode},
        )
        previous = Consultation.objects.filter(document=document, recipient=recipient).count()
        Consultation.objects.create(
            document=document,
            recipient=recipient,
            at=entry.recorded_at,
            mode=mode,
            journal_index=entry.index,
        )
        what = "première consultation" if previous == 0 else f"consultation n° {previous + 1}"
        _notify("consultation", recipient, entry, document, what)
    return OpenedDocument(document, entry.index, checked)


@dataclass(frozen=True)
class ConsultationSummary:
    recipient: Recipient
    first: datetime | None
    last: datetime | None
    count: int


def consultation_summary(document: Document) -> list[ConsultationSummary]:
    """Per recipient who may see the document: first and last consultation."""
    stats = {
        row["recipient"]: row
        for row in Consultation.objects.filter(document=document)
        .values("recipient")
        .annotate(first=Min("at"), last=Max("at"), n=Count("pk"))
    }
    people = document.dossier.recipients.all()
    if not document.visible_to_all:
        people = document.recipients.all()
    return [
        ConsultationSummary(
            r,
            stats.get(r.pk, {}).get("first"),
            stats.get(r.pk, {}).get("last"),
            stats.get(r.pk, {}).get("n", 0),
        )
        for r in people
    ]


def dossier_journal(dossier: Dossier) -> QuerySet[JournalEntry]:
    return JournalEntry.objects.filter(dossier_id=dossier.pk).order_by("index")
