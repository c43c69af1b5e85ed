"""What may be done with a Mes Pièces document now: the predicates both the services' guards and
the pages use, so that a page never offers a link or a form the service would refuse."""

from __future__ import annotations

from datetime import datetime

from sceau.pieces.models import Document


def may_consult(document: Document, now: datetime | None = None) -> bool:
    """A recipient may open the document: not destroyed and not expired (arrêté 2022, art. 5)."""
    return document.is_available(now)


def may_extend(document: Document, now: datetime | None = None) -> bool:
    """The officer may extend the document's availability: only before it expires."""
    return document.is_available(now)
