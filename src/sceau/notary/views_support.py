"""Notice files for the pages and the API of every app (Mes Pièces, Petites créances)."""

from __future__ import annotations

from django.http.response import HttpResponseBase

from sceau.core.errors import Conflict, NotFound
from sceau.core.files import file_response
from sceau.notary.models import Notice


def notice_file(notice: Notice | None, what: str) -> HttpResponseBase:
    """The notice's PDF, or its RFC 3161 token once the authority has answered."""
    if notice is None:
        raise NotFound("Cet avis n'existe pas ou ne vous concerne pas.")
    if what == "pdf":
        return file_response(
            bytes(notice.pdf),
            name=f"avis-{notice.pk}.pdf",
            media_type="application/pdf",
            sha256=notice.pdf_sha256,
        )
    if notice.pending:
        raise Conflict("L'autorité d'horodatage n'a pas encore répondu : réessayez plus tard.")
    return file_response(
        bytes(notice.token), name=f"avis-{notice.pk}.tsr", media_type="application/timestamp-token"
    )
