"""Timestamped notices and the timestamp authority's certificates."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from sceau.api.schemas import FILE_PROPERTY, ErrorOut, multipart_body
from sceau.core.errors import NotFound
from sceau.core.files import file_response
from sceau.identity.auth import HolderBearer, OfficerBearer
from sceau.identity.models import AccessCredential, User
from sceau.notary import services as notary
from sceau.notary.models import Notice
from sceau.notary.views_support import notice_file
from sceau.pieces import services as pieces
from sceau.vault.uploads import single_upload

router = Router(tags=["Avis horodatés"])
ERRORS = {401: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class NoticeOut(Schema):
    id: int
    kind: str
    dossier_id: int
    recipient_id: int | None
    document_id: int | None
    created_at: str
    pending: bool
    stamped_at: str | None
    authority: str
    qualified: bool
    pdf_sha256: str
    journal_index: int
    notice: dict


def notice_out(n: Notice) -> dict:
    return {
        "id": n.pk,
        "kind": n.kind,
        "dossier_id": n.dossier_id,
        "recipient_id": n.recipient_id,
        "document_id": n.document_id,
        "created_at": n.created_at.isoformat(),
        "pending": n.pending,
        "stamped_at": n.stamped_at.isoformat() if n.stamped_at else None,
        "authority": n.authority,
        "qualified": n.qualified,
        "pdf_sha256": n.pdf_sha256,
        "journal_index": n.event_journal_index,
        "notice": json.loads(n.canonical),
    }


def visible_notice(request: HttpRequest, notice_id: int) -> Notice:
    """The officer of the notice's office, or the recipient it concerns; else 404."""
    notice = Notice.objects.filter(pk=notice_id).first()
    who = request.auth
    allowed = notice is not None and (
        (isinstance(who, User) and who.office_id == notice.office_id)
        or (
            isinstance(who, AccessCredential)
            and pieces.recipient_for_credential(who).pk == notice.recipient_id
        )
    )
    if not allowed:
        raise NotFound("Cet avis n'existe pas ou ne vous concerne pas.")
    return notice


@router.get(
    "/dossiers/{dossier_id}/notices",
    auth=OfficerBearer(),
    response={200: list[NoticeOut], **ERRORS},
)
def dossier_notices(request: HttpRequest, dossier_id: int):
    """Every notice of a dossier of the caller's office."""
    dossier = pieces.get_dossier(request.auth, dossier_id)
    return [notice_out(n) for n in notary.notices_for_dossier(dossier.pk)]


@router.get("/access/notices", auth=HolderBearer(), response={200: list[NoticeOut], **ERRORS})
def my_notices(request: HttpRequest):
    """The signed-in recipient's notices."""
    recipient = pieces.recipient_for_credential(request.auth)
    return [notice_out(n) for n in notary.notices_for_recipient(recipient.pk)]


BOTH = [OfficerBearer(), HolderBearer()]


@router.get("/notices/{notice_id}", auth=BOTH, response={200: NoticeOut, **ERRORS})
def get_notice(request: HttpRequest, notice_id: int):
    return notice_out(visible_notice(request, notice_id))


@router.get("/notices/{notice_id}/pdf", auth=BOTH, response={200: None, **ERRORS})
def notice_pdf(request: HttpRequest, notice_id: int):
    """The notice as PDF: the exact bytes its RFC 3161 token covers."""
    return notice_file(visible_notice(request, notice_id), "pdf")


@router.get("/notices/{notice_id}/token", auth=BOTH, response={200: None, **ERRORS})
def notice_token(request: HttpRequest, notice_id: int):
    """The DER TimeStampToken over the PDF (`openssl ts -verify -token_in`)."""
    return notice_file(visible_notice(request, notice_id), "token")


@router.get("/notary/tsa-certificates")
def tsa_certificates(request: HttpRequest):
    """The certificates needed to verify Sceau's timestamp tokens (PEM)."""
    return HttpResponse(
        notary.get_timestamper().certificates_pem(), content_type="application/x-pem-file"
    )


@router.get("/dossiers/{dossier_id}/evidence", auth=OfficerBearer(), response={200: None, **ERRORS})
def evidence(request: HttpRequest, dossier_id: int):
    """A zip to check the dossier offline: fingerprints, notices and tokens, journal proofs."""
    from sceau.pieces.evidence import dossier_bundle

    dossier = pieces.get_dossier(request.auth, dossier_id)
    return file_response(
        dossier_bundle(dossier), name=f"preuves-{dossier.pk}.zip", media_type="application/zip"
    )


@router.post(
    "/notary/validate",
    auth=OfficerBearer(),
    response={200: list[dict], 400: ErrorOut, 401: ErrorOut, 415: ErrorOut},
    openapi_extra=multipart_body(["file"], file=FILE_PROPERTY),
)
def validate_signature(request: HttpRequest):
    """Validation report of every PAdES signature of an uploaded PDF (not kept by Sceau)."""
    upload = single_upload(request)
    reports = notary.report_for_upload(upload.sealed)  # a NotaryError carries its status
    return [notary.report_as_dict(r) for r in reports]
