"""Dossiers, recipients, their credentials and their sign-in (first access noticed)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError as DbIntegrityError
from django.db import transaction

from sceau.core.errors import InvalidInput, NotFound
from sceau.identity import services as identity
from sceau.identity.models import AccessCredential, User
from sceau.journal.cases import CaseRef
from sceau.journal.models import JournalEntry
from sceau.journal.services import record
from sceau.pieces.errors import (
    ReferenceTaken,
)
from sceau.pieces.events import PiecesEvent
from sceau.pieces.models import Dossier, Recipient
from sceau.pieces.services.deposit import _notify
from sceau.pieces.services.scope import HOLDER_KIND, officer, recipient_actor

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
                case=CaseRef.dossier(dossier.pk),
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
        case=CaseRef.dossier(dossier.pk),
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
            case=CaseRef.dossier(recipient.dossier_id),
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
            case=CaseRef.dossier(recipient.dossier_id),
            details={"ip": client_ip, "first_access": first},
        )
        if first:
            _notify("first_access", recipient, entry)
