"""Pieces shared by the web pages and the API: mentions and document responses."""

from __future__ import annotations

from django.conf import settings
from django.http.response import HttpResponseBase
from django.utils import timezone

from sceau.core.dates import paris_date
from sceau.core.files import file_response
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


def document_response(opened: services.OpenedDocument, attachment: bool) -> HttpResponseBase:
    document = opened.document
    return file_response(
        opened.chunks,
        name=document.name,
        media_type=document.media_type,
        attachment=attachment,
        size=document.size,
        sha256=document.sha256,
        extra={
            "X-Sceau-SHA256": document.sha256,
            "X-Sceau-Journal-Index": str(opened.journal_index),
        },
    )
