import hashlib
import json

import pytest
from django.db import DatabaseError, connection, transaction

from sceau.journal import transparency
from sceau.journal.canonical import canonical_json, leaf_hash
from sceau.journal.models import JournalEntry
from sceau.journal.services import Actor, record

pytestmark = pytest.mark.django_db


def test_indices_are_gapless_and_leaves_canonical():
    start = JournalEntry.objects.count()
    entries = [record(Actor("system"), "test:thing:done", details={"n": i}) for i in range(5)]
    assert [e.index for e in entries] == list(range(start, start + 5))
    for entry in entries:
        leaf = json.loads(entry.leaf)
        assert leaf["index"] == entry.index
        assert leaf["action"] == "test:thing:done"
        assert canonical_json(leaf) == entry.leaf
        assert entry.leaf_hash == hashlib.sha256(b"\x00" + entry.leaf.encode()).hexdigest()
        assert leaf["time"].endswith("Z") and len(leaf["time"]) == len(
            "2026-01-01T00:00:00.000000Z"
        )


def test_secrets_and_content_never_enter_the_journal():
    for key in ("code", "password", "token", "content"):
        with pytest.raises(ValueError):
            record(Actor("system"), "test:thing:done", details={key: "x"})


def test_action_must_be_a_three_part_tag():
    with pytest.raises(ValueError):
        record(Actor("system"), "deposited")


def test_an_entry_rolled_back_with_its_change_leaves_no_gap():
    before = record(Actor("system"), "test:thing:done")
    with pytest.raises(RuntimeError), transaction.atomic():
        record(Actor("system"), "test:thing:done")
        raise RuntimeError("the change failed")
    after = record(Actor("system"), "test:thing:done")
    assert after.index == before.index + 1


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE journal_journalentry SET action = 'forged:entry:x' WHERE id = %s",
        "DELETE FROM journal_journalentry WHERE id = %s",
    ],
)
def test_database_refuses_update_and_delete(sql):
    entry = record(Actor("system"), "test:thing:done")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    entry.refresh_from_db()
    assert entry.action == "test:thing:done"


def test_orm_update_is_refused_too():
    entry = record(Actor("system"), "test:thing:done")
    with pytest.raises(DatabaseError), transaction.atomic():
        JournalEntry.objects.filter(pk=entry.pk).update(actor_name="forger")
    with pytest.raises(DatabaseError), transaction.atomic():
        JournalEntry.objects.filter(pk=entry.pk).delete()
    assert JournalEntry.objects.filter(pk=entry.pk, actor_name="").exists()


def test_canonical_json_orders_keys_and_refuses_floats():
    assert canonical_json({"b": 1, "a": [True, None, "é"]}) == '{"a":[true,null,"é"],"b":1}'
    with pytest.raises(ValueError):
        canonical_json({"x": 1.5})
    assert leaf_hash("") == hashlib.sha256(b"\x00").hexdigest()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE journal_journalhead SET next_index = next_index + 3",
        "UPDATE journal_journalhead SET next_index = next_index - 1",
        "UPDATE journal_journalhead SET next_index = 0",
        "DELETE FROM journal_journalhead",
        "INSERT INTO journal_journalhead (id, next_index) VALUES (2, 0)",
    ],
)
def test_the_next_index_row_only_moves_by_one_with_an_entry(sql):
    """Found (issue #14): a jump of the counter was accepted, leaving a hole in the log."""
    record(Actor.system(), "test:thing:done")
    before = transparency.committed_size()
    with pytest.raises(DatabaseError, match="journal_journalhead"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)
    assert transparency.committed_size() == before
    after = record(Actor.system(), "test:thing:done")
    assert after.index == before


@pytest.mark.parametrize("table", ["journal_journalnode", "journal_treehead"])
def test_each_frozen_table_refuses_with_its_own_name(table):
    """Found (issue #14): on PostgreSQL the refusal spoke of a missing pruned_at field."""
    record(Actor.system(), "test:thing:done")
    transparency.make_tree_head()
    with pytest.raises(DatabaseError, match=f"append-only: UPDATE refused on {table}"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET id = id")  # noqa: S608 (a fixed table name)
