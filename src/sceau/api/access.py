"""Recipient endpoints: sign in with the identifier and code of the served act."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Status

from sceau.api import schemas as s
from sceau.identity.auth import HolderBearer, bearer_token
from sceau.identity.proxy import client_address as client_ip
from sceau.identity.services import (
    end_access_session,
    open_access_session,
    set_holder_password,
    sign_in_holder,
)
from sceau.pieces import services
from sceau.pieces.views_support import document_response

router = Router(tags=["Mes Pièces (destinataire)"])
ERRORS = {400: s.ErrorOut, 401: s.ErrorOut, 404: s.ErrorOut, 410: s.ErrorOut, 429: s.ErrorOut}


@router.post("/login", response={200: s.LoginOut, **ERRORS})
def login(request: HttpRequest, payload: s.LoginIn):
    """Exchange the identifier and code printed on the act for a session token."""
    signed_in = sign_in_holder(payload.identifier, payload.code, client_ip(request))
    return {
        "token": open_access_session(signed_in.credential),
        "idle_timeout_seconds": settings.CONFIG.recipient_session_seconds,
    }


@router.post("/logout", auth=HolderBearer(), response={204: None})
def logout(request: HttpRequest):
    end_access_session(bearer_token(request) or "")
    return Status(204, None)


def _recipient(request: HttpRequest):
    return services.recipient_for_credential(request.auth)


@router.get("/dossier", auth=HolderBearer(), response={200: s.AccessDossierOut, **ERRORS})
def my_dossier(request: HttpRequest):
    """The recipient's case: reference, court, service date and opposition information."""
    recipient = _recipient(request)
    dossier = recipient.dossier
    return {
        "reference": dossier.reference,
        "creditor": dossier.creditor,
        "court": dossier.court,
        "office": dossier.office.name,
        "recipient": recipient.name,
        "served_on": recipient.served_on,
        "opposition_deadline": services.opposition_deadline(recipient),
        "opposition_information": services.opposition_information(recipient),
    }


@router.get("/documents", auth=HolderBearer(), response={200: list[s.AccessDocumentOut], **ERRORS})
def my_documents(request: HttpRequest):
    """The documents meant for the signed-in recipient, each with its SHA-256 fingerprint."""
    recipient = _recipient(request)
    return [
        {
            "id": d.pk,
            "name": d.name,
            "media_type": d.media_type,
            "size": d.size,
            "sha256": d.sha256,
            "deposited_at": d.deposited_at,
            "expires_at": d.expires_at,
            "available": d.is_available(),
        }
        for d in services.visible_documents(recipient).filter(purged_at=None)
    ]


@router.get(
    "/documents/{document_id}/content",
    auth=HolderBearer(),
    response={200: None, **ERRORS, 500: s.ErrorOut},
)
def document_content(request: HttpRequest, document_id: int, download: bool = True):
    """The document's bytes, checked against the fingerprint (sent as `Repr-Digest`)."""
    recipient = _recipient(request)
    opened = services.consult(recipient, document_id, "download" if download else "view")
    return document_response(opened, attachment=download)


@router.post("/password", auth=HolderBearer(), response={204: None, **ERRORS})
def set_password(request: HttpRequest, payload: s.PasswordIn):
    """Choose a password (12 characters or more) to sign in later instead of the printed code."""
    set_holder_password(request.auth, payload.password)
    return Status(204, None)
