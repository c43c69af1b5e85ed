"""How long documents stay available: 18 months, at least a month after service, extensions."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from sceau.core.dates import (
    add_months,
    end_of_paris_day,
    paris_date,
)
from sceau.core.errors import InvalidInput
from sceau.identity.models import User
from sceau.journal.cases import CaseRef
from sceau.journal.services import record
from sceau.pieces import policy
from sceau.pieces.errors import (
    ExpiryTooEarly,
    NotExtendable,
)
from sceau.pieces.events import PiecesEvent
from sceau.pieces.models import Document, Recipient
from sceau.pieces.services.deposit import _audience, _notify
from sceau.pieces.services.scope import MAX_EXTENSION_MONTHS, MIN_MONTHS_AFTER_SERVICE, officer

# --- availability --------------------------------------------------------------------------


def visible_documents(recipient: Recipient) -> QuerySet[Document]:
    """Documents of the recipient's dossier meant for everyone or for this recipient."""
    return (
        Document.objects.filter(dossier_id=recipient.dossier_id)
        .filter(Q(visible_to_all=True) | Q(recipients=recipient))
        .distinct()
    )


def required_expiry(recipient: Recipient) -> datetime | None:
    """The earliest end of availability that the service date imposes (art. 5), if served."""
    if recipient.served_on is None:
        return None
    return end_of_paris_day(add_months(recipient.served_on, MIN_MONTHS_AFTER_SERVICE))


def minimum_expiry(document: Document) -> datetime | None:
    """The latest of the required expiries of the served recipients who see ``document``."""
    recipients = document.dossier.recipients.exclude(served_on=None)
    if not document.visible_to_all:
        recipients = recipients.filter(documents=document)
    latest = recipients.aggregate(m=Max("served_on"))["m"]
    return end_of_paris_day(add_months(latest, MIN_MONTHS_AFTER_SERVICE)) if latest else None


def documents_short_for(recipient: Recipient) -> list[Document]:
    """Documents visible to a served recipient that would expire too soon after service."""
    needed = required_expiry(recipient)
    if needed is None:
        return []
    return list(visible_documents(recipient).filter(purged_at=None, expires_at__lt=needed))


def record_signification(user: User, recipient: Recipient, served_on: date) -> list[Document]:
    """Record the service date of the order on one recipient; return the documents short."""
    today = paris_date(timezone.now())
    if served_on > today:
        raise InvalidInput("La date de signification ne peut pas être dans le futur.")
    if served_on < paris_date(recipient.dossier.created_at) - timedelta(days=365):
        raise InvalidInput(
            "Cette date de signification est antérieure de plus d'un an au dossier : vérifiez-la."
        )
    with transaction.atomic():
        previous = recipient.served_on
        recipient.served_on = served_on
        recipient.save(update_fields=["served_on"])
        short = documents_short_for(recipient)
        record(
            officer(user),
            PiecesEvent.RECIPIENT_SERVED,
            object_kind="recipient",
            object_id=recipient.pk,
            office_id=recipient.dossier.office_id,
            case=CaseRef.dossier(recipient.dossier_id),
            details={
                "served_on": served_on.isoformat(),
                "previous": previous.isoformat() if previous else None,
                "documents_short": [d.pk for d in short],
            },
        )
    return short


def _set_expiry(user: User, document: Document, new_expiry: datetime, reason: str) -> None:
    old = document.expires_at
    document.expires_at = new_expiry
    document.save(update_fields=["expires_at"])
    entry = record(
        officer(user),
        PiecesEvent.DOCUMENT_EXTENDED,
        object_kind="document",
        object_id=document.pk,
        office_id=document.dossier.office_id,
        case=CaseRef.dossier(document.dossier_id),
        details={
            "from": old.isoformat(),
            "to": new_expiry.isoformat(),
            "reason": reason,
            "sha256": document.sha256,
        },
    )
    until = f"prolongation jusqu'au {_fr_date(new_expiry - timedelta(seconds=1))}"
    for recipient in _audience(document).select_related("dossier__office"):
        _notify("provision", recipient, entry, document, until)


def extend_document(user: User, document: Document, until: date) -> Document:
    """Extend availability to the end of ``until`` (Europe/Paris), before expiry only."""
    now = timezone.now()
    with transaction.atomic():
        document = (
            Document.objects.select_for_update().select_related("dossier").get(pk=document.pk)
        )
        if not policy.may_extend(document, now):
            raise NotExtendable(
                "Ce document a expiré : il ne peut plus être prolongé. "
                "Déposez-le à nouveau si nécessaire."
            )
        new_expiry = end_of_paris_day(until)
        if new_expiry <= document.expires_at:
            raise NotExtendable(
                "La nouvelle date doit être postérieure à la fin de mise à disposition actuelle "
                f"({_fr_date(document.expires_at)})."
            )
        minimum = minimum_expiry(document)
        if minimum is not None and new_expiry < minimum:
            raise ExpiryTooEarly(
                "Le document doit rester disponible au moins un mois après la signification : "
                f"choisissez une date au plus tôt le {_fr_date(minimum - timedelta(seconds=1))}."
            )
        ceiling = add_months(paris_date(now), MAX_EXTENSION_MONTHS)
        if until > ceiling:
            raise InvalidInput(
                f"Une prolongation va au plus jusqu'au {ceiling:%d/%m/%Y} "
                "(18 mois à compter d'aujourd'hui)."
            )
        _set_expiry(user, document, new_expiry, "extension")
    return document


def extend_short_documents(user: User, recipient: Recipient) -> list[Document]:
    """Bring every document the recipient sees to one month after service, in one action."""
    needed = required_expiry(recipient)
    if needed is None:
        raise InvalidInput("Enregistrez d'abord la date de signification de ce destinataire.")
    extended = []
    now = timezone.now()
    with transaction.atomic():
        for document in visible_documents(recipient).select_related("dossier"):
            if document.is_available(now) and document.expires_at < needed:
                _set_expiry(user, document, needed, "one_month_after_service")
                extended.append(document)
    return extended


def _fr_date(moment: datetime) -> str:
    return f"{paris_date(moment):%d/%m/%Y}"
