"""Automatic deletion (crypto-shredding) of expired documents; what recipients learn of
opposition."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from sceau.core.dates import (
    procedural_deadline,
)
from sceau.journal.cases import CaseRef
from sceau.journal.services import Actor, record
from sceau.pieces.events import PiecesEvent
from sceau.pieces.models import Document, Recipient
from sceau.vault import services as vault

# --- automatic deletion --------------------------------------------------------------------


@dataclass
class PurgeReport:
    as_of: datetime
    rehearsal: bool
    purged: list[int] = field(default_factory=list)
    due: list[int] = field(default_factory=list)


def purge_expired(as_of: datetime | None = None) -> PurgeReport:
    """Crypto-shred every expired document; with ``as_of`` only rehearse (destroy nothing).

    Safe to run from two processes at once: each document is re-read under lock and skipped if
    another run has purged it meanwhile.
    """
    now = timezone.now()
    rehearsal = as_of is not None
    cutoff = as_of or now
    report = PurgeReport(cutoff, rehearsal)
    due = list(
        Document.objects.filter(purged_at=None, expires_at__lte=cutoff)
        .order_by("expires_at")
        .values_list("pk", flat=True)
    )
    report.due = due
    if rehearsal:
        return report
    for pk in due:
        with transaction.atomic():
            document = (
                Document.objects.select_for_update(skip_locked=True)
                .select_related("blob", "dossier")
                .filter(pk=pk, purged_at=None, expires_at__lte=now)
                .first()
            )
            if document is None:
                continue
            vault.shred(document.blob)
            document.purged_at = now
            document.save(update_fields=["purged_at"])
            record(
                Actor.system("sceau purge"),
                PiecesEvent.DOCUMENT_PURGED,
                object_kind="document",
                object_id=document.pk,
                office_id=document.dossier.office_id,
                case=CaseRef.dossier(document.dossier_id),
                details={
                    "sha256": document.sha256,
                    "deposited_at": document.deposited_at.isoformat(),
                    "deposited_by": document.deposited_by_id,
                    "expired_at": document.expires_at.isoformat(),
                },
            )
            report.purged.append(pk)
    return report


# --- what the recipient is told about opposition (CPC 1416, 643) ---------------------------

OPPOSITION_MONTHS = {
    Recipient.RESIDENCE_FRANCE: 1,
    Recipient.RESIDENCE_OVERSEAS: 2,
    Recipient.RESIDENCE_ABROAD: 3,
}


def opposition_deadline(recipient: Recipient) -> date | None:
    """Last day to oppose the order, counted from service and moved off non-working days."""
    if recipient.served_on is None:
        return None
    return procedural_deadline(recipient.served_on, OPPOSITION_MONTHS[recipient.residence])


def opposition_information(recipient: Recipient) -> str:
    court = recipient.dossier.court
    text = (
        "Vous pouvez payer la somme réclamée, ou contester l'ordonnance en formant opposition "
        f"auprès du greffe de la juridiction qui l'a rendue ({court}), par déclaration au greffe "
        "ou par lettre recommandée. L'opposition ne se fait pas sur ce site. "
    )
    deadline = opposition_deadline(recipient)
    if deadline is None:
        return text + (
            "Le délai d'opposition est d'un mois à compter de la signification (augmenté d'un mois "
            "outre-mer et de deux mois à l'étranger) : la date figure sur l'acte."
        )
    return text + (
        f"Selon la date de signification enregistrée ({recipient.served_on:%d/%m/%Y}), le délai "
        f"expire le {deadline:%d/%m/%Y}. En cas de doute, l'acte de signification fait foi."
    )
