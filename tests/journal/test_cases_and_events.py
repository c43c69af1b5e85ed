"""The journal's typed tags, actors and case references (issue #10, finding 6)."""

from __future__ import annotations

import json

import pytest

from sceau.journal.cases import CaseRef
from sceau.journal.events import EventTag
from sceau.journal.models import JournalEntry
from sceau.journal.services import Actor, record


class _Sample(EventTag):
    THING_DONE = "sample:thing:done"


def test_an_event_tag_is_its_string_and_knows_its_source() -> None:
    assert _Sample.THING_DONE == "sample:thing:done"
    assert _Sample.THING_DONE.source == "sample"


@pytest.mark.parametrize("bad", ["sample:thing", "Sample:thing:done", "a:b:c:d", "a: b:c"])
def test_a_malformed_tag_cannot_be_declared(bad: str) -> None:
    with pytest.raises(ValueError, match="source:subject:action"):
        EventTag("Bad", {"X": bad})


def test_actors_are_built_by_kind_and_unknown_kinds_are_refused() -> None:
    class User:
        pk = 7
        full_name = "Maître Démo"

    assert Actor.creditor(User()) == Actor("creditor", "7", "Maître Démo")
    assert Actor.debtor(12, "Jean Martin") == Actor("debtor", "12", "Jean Martin")
    with pytest.raises(ValueError, match="actor kind"):
        Actor("pieces.recipient", "1")


def test_case_reference_kinds_and_ids_are_checked() -> None:
    assert CaseRef.claim(3) == CaseRef("claim", 3)
    with pytest.raises(ValueError):
        CaseRef("message", 3)
    with pytest.raises(TypeError):
        CaseRef("claim", "3")  # type: ignore[arg-type]


@pytest.mark.django_db
def test_everything_about_a_claim_is_one_query_and_new_leaves_carry_the_case() -> None:
    about = record(Actor.system(), _Sample.THING_DONE, case=CaseRef.claim(5))
    record(Actor.system(), _Sample.THING_DONE, case=CaseRef.dossier(5))
    record(Actor.system(), _Sample.THING_DONE)
    found = list(JournalEntry.objects.filter(case_kind="claim", case_id=5))
    assert [e.index for e in found] == [about.index]
    leaf = json.loads(found[0].leaf)
    assert leaf["v"] == 2 and leaf["case"] == {"kind": "claim", "id": 5}
    assert leaf["dossier"] is None  # a claim is not a dossier
    dossier = JournalEntry.objects.get(case_kind="dossier", case_id=5)
    assert dossier.dossier_id == 5 and json.loads(dossier.leaf)["dossier"] == 5


@pytest.mark.django_db
def test_a_string_that_is_not_a_tag_is_refused() -> None:
    with pytest.raises(ValueError, match="source:subject:action"):
        record(Actor.system(), "not a tag")
