"""Mes Pieces rules: dossiers, deposit, credentials, service, availability, consultation, purge.

Each function that changes state writes its journal entry in the same transaction. Views, the
API and commands call these functions and nothing else.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import IntegrityError as DbIntegrityError
from django.db import transaction
from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils import timezone

from sceau.core.dates import (
    add_months,
    add_months_dt,
    end_of_paris_day,
    paris_date,
    procedural_deadline,
)
from sceau.core.errors import InvalidInput, NotFound
from sceau.identity import services as identity
from sceau.identity.models import AccessCredential, User
from sceau.journal.models import JournalEntry
from sceau.journal.services import Actor, record
from sceau.pieces.errors import (
    DocumentUnavailable,
    ExpiryTooEarly,
    NotExtendable,
    ReferenceTaken,
)
from sceau.pieces.events import PiecesEvent
from sceau.pieces.models import Consultation, Document, Dossier, Recipient
from sceau.vault import services as vault
from sceau.vault.core import SealedBlob
from sceau.vault.errors import IntegrityError
from sceau.vault.formats import display_name

log = logging.getLogger(__name__)

AVAILABILITY_MONTHS = 18  # arrete of 24 February 2022, art. 5
MIN_MONTHS_AFTER_SERVICE = 1  # idem
MAX_EXTENSION_MONTHS = 18  # an extension reaches at most 18 months from today
VERIFY_BEFORE_SENDING_MAX = 64 * 1024 * 1024
HOLDER_KIND = "pieces.recipient"  # the credential holders of this app (holders.py registers them)


def officer(user: User) -> Actor:
    return Actor.officer(user)


def recipient_actor(recipient: Recipient) -> Actor:
    return Actor.recipient(recipient.pk, recipient.name)


# --- scoping: an officer reaches only the objects of their office ---------------------------


def dossiers_for(user: User) -> QuerySet[Dossier]:
    return Dossier.objects.filter(office_id=user.office_id)


def get_dossier(user: User, dossier_id: int) -> Dossier:
    dossier = dossiers_for(user).filter(pk=dossier_id).first()
    if dossier is None:
        raise NotFound("Ce dossier n'existe pas ou n'appartient pas à votre étude.")
    return dossier


def get_recipient(user: User, recipient_id: int) -> Recipient:
    recipient = (
        Recipient.objects.select_related("dossier")
        .filter(pk=recipient_id, dossier__office_id=user.office_id)
        .first()
    )
    if recipient is None:
        raise NotFound("Ce destinataire n'existe pas ou n'appartient pas à votre étude.")
    return recipient


def get_document(user: User, document_id: int) -> Document:
    document = (
        Document.objects.select_related("dossier", "blob")
        .filter(pk=document_id, dossier__office_id=user.office_id)
        .first()
    )
    if document is None:
        raise NotFound("Ce document n'existe pas ou n'appartient pas à votre étude.")
    return document


# --- dossiers and recipients ---------------------------------------------------------------


@dataclass(frozen=True)
class RecipientInput:
    name: str
    address: str
    kind: str = Recipient.NATURAL
    email: str = ""
    residence: str = Recipient.RESIDENCE_FRANCE

    def validate(self) -> None:
        if not self.name.strip():
            raise InvalidInput("Indiquez le nom du destinataire.")
        if not self.address.strip():
            raise InvalidInput(f"Indiquez l'adresse postale de {self.name}.")
        if self.kind not in dict(Recipient.KINDS):
            raise InvalidInput("Le type de destinataire doit être « natural » ou « legal ».")
        if self.residence not in dict(Recipient.RESIDENCES):
            raise InvalidInput("La résidence doit être « france », « overseas » ou « abroad ».")


def _text(value: str, label: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"Indiquez {label}.")
    if len(value) > max_length:
        raise InvalidInput(f"{label.capitalize()} dépasse {max_length} caractères.")
    return value


def create_dossier(
    user: User, reference: str, creditor: str, court: str, recipients: list[RecipientInput]
) -> Dossier:
    reference = _text(reference, "la référence du dossier", 80)
    creditor = _text(creditor, "le créancier", 300)
    court = _text(court, "la juridiction qui a rendu l'ordonnance", 300)
    if not recipients:
        raise InvalidInput("Un dossier a au moins un destinataire (débiteur).")
    for r in recipients:
        r.validate()
    try:
        with transaction.atomic():
            dossier = Dossier.objects.create(
                office_id=user.office_id,
                reference=reference,
                creditor=creditor,
                court=court,
                created_by=user,
            )
            record(
                officer(user),
                PiecesEvent.DOSSIER_CREATED,
                object_kind="dossier",
                object_id=dossier.pk,
                office_id=dossier.office_id,
                dossier_id=dossier.pk,
                details={"reference": reference},
            )
            for r in recipients:
                _add_recipient(user, dossier, r)
    except DbIntegrityError:
        raise ReferenceTaken() from None
    return dossier


def _add_recipient(user: User, dossier: Dossier, data: RecipientInput) -> Recipient:
    recipient = Recipient.objects.create(
        dossier=dossier,
        name=data.name.strip(),
        address=data.address.strip(),
        kind=data.kind,
        email=data.email.strip(),
        residence=data.residence,
    )
    record(
        officer(user),
        PiecesEvent.RECIPIENT_ADDED,
        object_kind="recipient",
        object_id=recipient.pk,
        office_id=dossier.office_id,
        dossier_id=dossier.pk,
        details={"name": recipient.name},
    )
    return recipient


def add_recipient(user: User, dossier: Dossier, data: RecipientInput) -> Recipient:
    data.validate()
    with transaction.atomic():
        return _add_recipient(user, dossier, data)


# --- credentials ---------------------------------------------------------------------------


def issue_credentials(user: User, recipient: Recipient) -> identity.IssuedCredential:
    """Issue or re-issue the identifier and code for the served act; the code is shown once."""
    with transaction.atomic():
        had = AccessCredential.objects.filter(holder_kind=HOLDER_KIND, holder_id=recipient.pk)
        reissue = had.exists()
        credential, issued = identity.issue_credential(HOLDER_KIND, recipient.pk)
        record(
            officer(user),
            PiecesEvent.CREDENTIAL_REISSUED if reissue else PiecesEvent.CREDENTIAL_ISSUED,
            object_kind="recipient",
            object_id=recipient.pk,
            office_id=recipient.dossier.office_id,
            dossier_id=recipient.dossier_id,
            details={"identifier": credential.identifier},
        )
    return issued


def credential_of(recipient: Recipient) -> AccessCredential | None:
    return AccessCredential.objects.filter(holder_kind=HOLDER_KIND, holder_id=recipient.pk).first()


def recipient_for_credential(credential: AccessCredential) -> Recipient:
    if credential.holder_kind != HOLDER_KIND:
        raise NotFound()
    return Recipient.objects.select_related("dossier", "dossier__office").get(
        pk=credential.holder_id
    )


def record_sign_in(recipient: Recipient, client_ip: str) -> None:
    with transaction.atomic():
        first = not JournalEntry.objects.filter(
            action=PiecesEvent.RECIPIENT_LOGGED_IN,
            object_id=str(recipient.pk),
            dossier_id=recipient.dossier_id,
        ).exists()
        entry = record(
            recipient_actor(recipient),
            PiecesEvent.RECIPIENT_LOGGED_IN,
            object_kind="recipient",
            object_id=recipient.pk,
            office_id=recipient.dossier.office_id,
            dossier_id=recipient.dossier_id,
            details={"ip": client_ip, "first_access": first},
        )
        if first:
            _notify("first_access", recipient, entry)


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
            dossier_id=recipient.dossier_id,
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
        dossier_id=document.dossier_id,
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
        if not document.is_available(now):
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
            dossier_id=dossier.pk,
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


# --- consultation --------------------------------------------------------------------------


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
            dossier_id=document.dossier_id,
            details={"sha256": document.sha256, "detail": detail[:200]},
        )


def _guarded(recipient: Recipient, document: Document, chunks: Iterator[bytes]):
    try:
        yield from chunks
    except IntegrityError as exc:
        # Bytes already sent cannot be recalled; the response is cut short and never completes.
        log.error("integrity failure while streaming document %s: %s", document.pk, exc)
        _journal_integrity_failure(recipient, document, getattr(exc, "detail", str(exc)))
        raise


def consult(recipient: Recipient, document_id: int, mode: str) -> OpenedDocument:
    """Open one document for a recipient: checks rights, availability and integrity, journals."""
    document = (
        visible_documents(recipient).select_related("blob", "dossier").filter(pk=document_id)
    ).first()
    if document is None:
        raise NotFound("Ce document n'existe pas ou ne vous est pas destiné.")
    if not document.is_available():
        raise DocumentUnavailable(
            f"Ce document n'est plus disponible depuis le {_fr_date(document.expires_at)} : "
            "sa durée de mise à disposition a pris fin. Contactez l'étude si besoin."
        )
    if document.size <= VERIFY_BEFORE_SENDING_MAX:
        try:  # small documents are checked whole before the first byte leaves
            vault.verify_blob(document.blob)
        except IntegrityError as exc:
            _journal_integrity_failure(recipient, document, getattr(exc, "detail", str(exc)))
            raise
    with transaction.atomic():
        entry = record(
            recipient_actor(recipient),
            PiecesEvent.DOCUMENT_CONSULTED,
            object_kind="document",
            object_id=document.pk,
            office_id=document.dossier.office_id,
            dossier_id=document.dossier_id,
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
    chunks = _guarded(recipient, document, vault.open_blob(document.blob))
    return OpenedDocument(document, entry.index, chunks)


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
                dossier_id=document.dossier_id,
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
