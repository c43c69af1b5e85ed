"""Officer endpoints of Mes Pieces (token of the office software)."""

from __future__ import annotations

import base64

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Status

from sceau.api import schemas as s
from sceau.api.serializers import document_out, dossier_out, recipient_out
from sceau.core.errors import InvalidInput
from sceau.identity.auth import OfficerBearer
from sceau.pieces import services
from sceau.pieces.mention import mention_text, render_mention_pdf
from sceau.pieces.views_support import access_mention
from sceau.vault.uploads import single_upload

router = Router(auth=OfficerBearer(), tags=["Mes Pièces (étude)"])
ERRORS = {400: s.ErrorOut, 401: s.ErrorOut, 403: s.ErrorOut, 404: s.ErrorOut, 409: s.ErrorOut}


@router.get("/dossiers", response=list[s.DossierSummaryOut])
def list_dossiers(request: HttpRequest, reference: str = ""):
    """Dossiers of the caller's office, newest first (filter by reference prefix)."""
    qs = services.dossiers_for(request.auth)
    if reference:
        qs = qs.filter(reference__startswith=reference)
    return list(qs[:500])


@router.post("/dossiers", response={201: s.DossierOut, **ERRORS})
def create_dossier(request: HttpRequest, payload: s.DossierIn):
    """Create a dossier with its recipients (debtors)."""
    dossier = services.create_dossier(
        request.auth,
        payload.reference,
        payload.creditor,
        payload.court,
        [services.RecipientInput(**r.dict()) for r in payload.recipients],
    )
    return Status(201, dossier_out(dossier))


@router.get("/dossiers/{dossier_id}", response={200: s.DossierOut, **ERRORS})
def get_dossier(request: HttpRequest, dossier_id: int):
    return dossier_out(services.get_dossier(request.auth, dossier_id))


@router.post("/dossiers/{dossier_id}/recipients", response={201: s.RecipientOut, **ERRORS})
def add_recipient(request: HttpRequest, dossier_id: int, payload: s.RecipientIn):
    dossier = services.get_dossier(request.auth, dossier_id)
    recipient = services.add_recipient(
        request.auth, dossier, services.RecipientInput(**payload.dict())
    )
    return Status(201, recipient_out(recipient))


@router.post("/recipients/{recipient_id}/credentials", response={201: s.CredentialsOut, **ERRORS})
def issue_credentials(request: HttpRequest, recipient_id: int):
    """Issue (or re-issue, revoking the old code) the access credentials for the served act.

    The code appears only in this answer, with the mention to print in the act (text and PDF).
    """
    recipient = services.get_recipient(request.auth, recipient_id)
    issued = services.issue_credentials(request.auth, recipient)
    mention = access_mention(recipient, issued)
    return Status(
        201,
        {
            "identifier": issued.identifier,
            "code": issued.code,
            "address": f"{settings.CONFIG.public_url}/acces/",
            "mention_text": mention_text(mention),
            "mention_pdf_base64": base64.b64encode(render_mention_pdf(mention)).decode(),
        },
    )


@router.post(
    "/recipients/{recipient_id}/signification", response={200: s.SignificationOut, **ERRORS}
)
def record_signification(request: HttpRequest, recipient_id: int, payload: s.SignificationIn):
    """Record the service date; lists the documents that would expire less than a month after."""
    recipient = services.get_recipient(request.auth, recipient_id)
    short = services.record_signification(request.auth, recipient, payload.date)
    return {
        "recipient": recipient_out(recipient),
        "documents_short": [document_out(d) for d in short],
        "required_until": services.required_expiry(recipient),
    }


@router.post(
    "/recipients/{recipient_id}/extend-short-documents",
    response={200: list[s.DocumentOut], **ERRORS},
)
def extend_short_documents(request: HttpRequest, recipient_id: int):
    """Extend, in one action, every document the recipient sees to one month after service."""
    recipient = services.get_recipient(request.auth, recipient_id)
    return [document_out(d) for d in services.extend_short_documents(request.auth, recipient)]


@router.post(
    "/dossiers/{dossier_id}/documents",
    response={201: s.DocumentOut, 413: s.ErrorOut, 415: s.ErrorOut, **ERRORS},
    openapi_extra=s.multipart_body(
        ["file"],
        file=s.FILE_PROPERTY,
        recipients={"type": "array", "items": {"type": "integer"}},
    ),
)
def deposit(request: HttpRequest, dossier_id: int):
    """Deposit one document (PDF, PNG or JPEG), streamed, fingerprinted and encrypted on arrival.

    Without `recipients` the document is visible to every recipient of the dossier.
    """
    dossier = services.get_dossier(request.auth, dossier_id)
    upload = single_upload(request)
    try:
        ids = [int(v) for v in request.POST.getlist("recipients") if v.strip()]
    except ValueError:
        raise InvalidInput("Le champ « recipients » attend des identifiants numériques.") from None
    document = services.deposit(request.auth, dossier, upload.sealed, upload.name, ids)
    return Status(201, document_out(document))


@router.get("/documents/{document_id}", response={200: s.DocumentOut, **ERRORS})
def get_document(request: HttpRequest, document_id: int):
    return document_out(services.get_document(request.auth, document_id))


@router.post("/documents/{document_id}/extension", response={200: s.DocumentOut, **ERRORS})
def extend_document(request: HttpRequest, document_id: int, payload: s.ExtensionIn):
    """Extend availability to the end of `until` (Europe/Paris), before the document expires."""
    document = services.get_document(request.auth, document_id)
    return document_out(services.extend_document(request.auth, document, payload.until))


@router.get(
    "/documents/{document_id}/consultations", response={200: list[s.ConsultationOut], **ERRORS}
)
def consultations(request: HttpRequest, document_id: int):
    """First and last consultation of the document by each recipient who may see it."""
    document = services.get_document(request.auth, document_id)
    return [
        {
            "recipient_id": c.recipient.pk,
            "recipient_name": c.recipient.name,
            "first": c.first,
            "last": c.last,
            "count": c.count,
        }
        for c in services.consultation_summary(document)
    ]


@router.get("/dossiers/{dossier_id}/journal", response={200: list[s.JournalEntryOut], **ERRORS})
def dossier_journal(request: HttpRequest, dossier_id: int):
    """Every journal entry about the dossier, in order."""
    dossier = services.get_dossier(request.auth, dossier_id)
    return [
        {
            "index": e.index,
            "time": e.recorded_at,
            "actor_kind": e.actor_kind,
            "actor_id": e.actor_id,
            "actor_name": e.actor_name,
            "action": e.action,
            "object_kind": e.object_kind,
            "object_id": e.object_id,
            "details": e.details,
            "leaf_hash": e.leaf_hash,
        }
        for e in services.dossier_journal(dossier)
    ]
