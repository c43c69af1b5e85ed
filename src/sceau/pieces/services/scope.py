"""Who reaches what: an officer only the dossiers, recipients and documents of their office."""

from __future__ import annotations

from django.db.models import QuerySet

from sceau.core.errors import NotFound
from sceau.identity.models import User
from sceau.journal.services import Actor
from sceau.pieces.models import Document, Dossier, Recipient

AVAILABILITY_MONTHS = 18  # arrete of 24 February 2022, art. 5
MIN_MONTHS_AFTER_SERVICE = 1  # idem
MAX_EXTENSION_MONTHS = 18  # an extension reaches at most 18 months from today
from sceau.vault.services import VERIFY_BEFORE_SENDING_MAX  # noqa: E402, F401 (the vault decides)

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
