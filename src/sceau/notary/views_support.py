"""Notice files for the pages of every app (Mes Pièces, Petites créances)."""

from __future__ import annotations

from django.http import HttpResponse

from sceau.core.errors import Conflict, NotFound
from sceau.notary.models import Notice


def notice_file(notice: Notice | None, what: str) -> HttpResponse:
    """The notice's PDF, or its RFC 3161 token once the authority has answered."""
    if notice is None:
        raise NotFound("Cet avis n'existe pas ou ne vous concerne pas.")
    if what == "pdf":
        response = HttpResponse(bytes(notice.pdf), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="avis-{notice.pk}.pdf"'
        return response
    if notice.pending:
        raise Conflict("L'autorité d'horodatage n'a pas encore répondu : réessayez plus tard.")
    response = HttpResponse(bytes(notice.token), content_type="application/timestamp-token")
    response["Content-Disposition"] = f'attachment; filename="avis-{notice.pk}.tsr"'
    return response
