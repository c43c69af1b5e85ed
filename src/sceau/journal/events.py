"""Typed journal tags: the base of each app's enum of ``source:subject:action`` tags.

Each app lists the tags it writes in its own ``events.py`` (warehouse's ``EventTag``), so that
what is journaled is written and read through one name: ``PiecesEvent.DOCUMENT_DEPOSITED``,
never a string spelled again elsewhere.
"""

from __future__ import annotations

import re
from enum import StrEnum

TAG = re.compile(r"^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$")


class EventTag(StrEnum):
    """Members are ``source:subject:action`` strings, checked when the enum is created."""

    def __init__(self, value: str) -> None:
        if not TAG.match(value):
            raise ValueError(f"journal tag {value!r} must look like source:subject:action")

    @property
    def source(self) -> str:
        return self.value.split(":", 1)[0]


class JournalEvent(EventTag):
    """Tags the journal itself writes."""

    WITNESS_REFUSED = "journal:witness:refused"
