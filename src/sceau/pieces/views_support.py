"""Pieces shared by the web pages and the API: mentions and document responses."""

from __future__ import annotations

import base64
from urllib.parse import quote

from django.conf import settings
from django.http import StreamingHttpResponse
from django.utils import timezone

from sceau.core.dates import paris_date
from sceau.identity.services import IssuedCredential
from sceau.pieces import services
from sceau.pieces.mention import AccessMention
from sceau.pieces.models import Recipient


def access_mention(recipient: Recipient, issued: IssuedCredential) -> AccessMention:
    dossier = recipient.dossier
    office = dossier.office
    latest = (
        services.visible_documents(recipient)
        .filter(purged_at=None)
        .order_by("expires_at")
        .values_list("expires_at", flat=True)
        .first()
    )
    officer = dossier.created_by
    return AccessMention(
        office_name=office.name,
        office_address=office.address,
        officer_name=officer.full_name,
        dossier_reference=dossier.reference,
        court=dossier.court,
        creditor=dossier.creditor,
        recipient_name=recipient.name,
        recipient_address=recipient.address,
        public_url=settings.CONFIG.public_url,
        identifier=issued.identifier,
        code=issued.code,
        issued_at=timezone.now(),
        expires_on=paris_date(latest) if latest else None,
    )


def repr_digest(sha256_hex: str) -> str:
    """RFC 9530 Repr-Digest value for a SHA-256 given in hex."""
    return "sha-256=:" + base64.b64encode(bytes.fromhex(sha256_hex)).decode() + ":"


def document_response(opened: services.OpenedDocument, attachment: bool) -> StreamingHttpResponse:
    document = opened.document
    response = StreamingHttpResponse(opened.chunks, content_type=document.media_type)
    response["Content-Length"] = str(document.size)
    response["Repr-Digest"] = repr_digest(document.sha256)
    response["X-Sceau-SHA256"] = document.sha256
    response["X-Sceau-Journal-Index"] = str(opened.journal_index)
    kind = "attachment" if attachment else "inline"
    ascii_name = document.name.encode("ascii", "replace").decode().replace('"', "'")
    response["Content-Disposition"] = (
        f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(document.name)}"
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    # A document shown inline gets a sandboxed origin: no script may run in its context.
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src 'self'; frame-ancestors 'none'"
    )
    return response
