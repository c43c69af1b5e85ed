"""A case reference: the dossier (Mes Pièces) or the claim (Petites créances) an entry is about.

Journal entries and notices carry one, so "everything about a claim" is a single indexed query
(``JournalEntry.objects.filter(case_kind="claim", case_id=pk)``).
"""

from __future__ import annotations

from dataclasses import dataclass

DOSSIER = "dossier"
CLAIM = "claim"
KINDS = (DOSSIER, CLAIM)


@dataclass(frozen=True)
class CaseRef:
    kind: str
    id: int

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"case kind {self.kind!r} is not one of {KINDS}")
        if type(self.id) is not int:
            raise TypeError(f"case id must be an int, not {type(self.id).__name__}")

    @classmethod
    def dossier(cls, pk: int) -> CaseRef:
        return cls(DOSSIER, int(pk))

    @classmethod
    def claim(cls, pk: int) -> CaseRef:
        return cls(CLAIM, int(pk))

    def as_json(self) -> dict[str, object]:
        return {"kind": self.kind, "id": self.id}
