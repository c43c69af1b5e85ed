"""The documents of the small-claims procedure (Petites créances, CPCE L125-1, R125-1 to R125-8).

Three A4 PDFs in the house style, deterministic for the same facts: the invitation letter
(R125-2, ``invitation``; ``letter`` gives the same paragraphs for an e-mail, without the code),
the record of the end of the procedure (R125-5, ``record``) and the executory title (L125-1,
``title``). The words of the procedure live once in ``texts`` (titles, the four outcomes' labels
used by the pages too, the reproduced articles: they MUST be checked word for word against
Légifrance before production); ``facts`` holds what the documents state; ``kit`` the layout.
The record and the title keep the bottom of their last page free (``SIGNATURE_ROOM``) for the
visible signature stamp. Pure: imports neither Django nor the models."""

from __future__ import annotations

from .facts import (
    SIGNATURE_ROOM,
    ClaimFacts,
    Instalment,
    Party,
    access_url,
    format_euros,
)
from .invitation import (
    render_invitation_pdf,
)
from .letter import (
    invitation_text,
)
from .record import (
    render_record_pdf,
)
from .texts import (
    BASIS_LABELS,
    CPCE_TEXT_TITLES,
    CPCE_TEXTS,
    ENFORCEMENT_FORMULA,
    ENFORCEMENT_HEADING,
    INVITATION_TITLE,
    OUTCOME_LABELS,
    OUTCOME_NUMBERS,
    R125_8_NOTE,
    RECORD_TITLE,
    TITLE_TITLE,
)
from .title import (
    render_title_pdf,
)

__all__ = [
    "BASIS_LABELS",
    "CPCE_TEXTS",
    "CPCE_TEXT_TITLES",
    "ENFORCEMENT_FORMULA",
    "ENFORCEMENT_HEADING",
    "INVITATION_TITLE",
    "OUTCOME_LABELS",
    "OUTCOME_NUMBERS",
    "R125_8_NOTE",
    "RECORD_TITLE",
    "SIGNATURE_ROOM",
    "TITLE_TITLE",
    "ClaimFacts",
    "Instalment",
    "Party",
    "access_url",
    "format_euros",
    "invitation_text",
    "render_invitation_pdf",
    "render_record_pdf",
    "render_title_pdf",
]
