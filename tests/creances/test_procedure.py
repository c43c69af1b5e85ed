"""The procedure's transition table, tested without Django or a database (issue #10, finding 5)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from sceau.creances import procedure as p

EXPECTED = {
    ("requested", "accept_mandate"): "mandated",
    ("requested", "decline_mandate"): "declined",
    ("mandated", "invite"): "invited",
    ("invited", "debtor_accepts"): "accepted",
    ("invited", "debtor_refuses"): "refused",
    ("invited", "silence"): "refused",
    ("accepted", "propose"): "accepted",
    ("accepted", "answer_proposal"): "accepted",
    ("accepted", "agreement_reached"): "agreed",
    ("refused", "close"): "closed",
    ("accepted", "close"): "closed",
    ("agreed", "close"): "closed",
}


@pytest.mark.parametrize("state", p.STATES)
@pytest.mark.parametrize("event", p.EVENTS)
def test_every_pair_of_state_and_event_is_allowed_only_as_the_table_says(state, event):
    if (state, event) in EXPECTED:
        assert p.transition(state, event, doing="agir") == EXPECTED[(state, event)]
        assert p.may(state, event)
    else:
        with pytest.raises(p.TransitionRefused, match=re.escape(p.STATE_LABELS[state])):
            p.transition(state, event, doing="agir")
        assert not p.may(state, event)


def test_closed_and_declined_are_final_and_every_other_state_can_move():
    moving = {state for state, _ in p.TRANSITIONS}
    assert set(p.STATES) - moving == {"closed", "declined"}


def test_an_unknown_state_is_a_programming_error():
    with pytest.raises(ValueError):
        p.transition("archived", "close", doing="agir")


def test_the_table_imports_no_django():
    tree = ast.parse(Path(p.__file__).read_text(encoding="utf-8"))
    modules = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module is not None
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert not [m for m in modules if m.startswith("django")]
