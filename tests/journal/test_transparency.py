"""The journal as a transparency log, against the real database."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from django.db import connection
from django.test import Client

from sceau.journal import merkle, signing, transparency
from sceau.journal.canonical import canonical_json
from sceau.journal.models import JournalEntry, JournalNode, TreeHead
from sceau.journal.services import Actor, record
from sceau.journal.verifier.cli import main as sceau_verify

pytestmark = pytest.mark.django_db


def naive_root(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + naive_root(leaves[:k]) + naive_root(leaves[k:])).digest()


def fill(n: int) -> list[JournalEntry]:
    return [record(Actor("system"), "test:entry:added", details={"n": i}) for i in range(n)]


def all_leaves() -> list[bytes]:
    return [
        bytes.fromhex(h)
        for h in JournalEntry.objects.order_by("index").values_list("leaf_hash", flat=True)
    ]


def test_stored_subtrees_give_the_rfc_root_at_every_size():
    fill(37)
    leaves = all_leaves()
    for size in range(len(leaves) + 1):
        assert transparency.root_hash(size) == naive_root(leaves[:size])


def test_tree_heads_are_signed_and_kept():
    fill(5)
    head = transparency.make_tree_head()
    assert transparency.make_tree_head().pk == head.pk  # same size: the same head
    body = {k: v for k, v in head.as_json().items() if k != "signature"}
    key = signing.public_keys()[head.key_id]
    key.verify(base64.b64decode(head.signature), canonical_json(body).encode())
    assert head.root_hash == naive_root(all_leaves()).hex()
    fill(1)
    assert transparency.make_tree_head().tree_size == head.tree_size + 1
    assert TreeHead.objects.count() == 2


def test_api_proofs_verify_and_reveal_only_hashes():
    fill(20)
    first = transparency.make_tree_head()
    fill(13)
    second = transparency.make_tree_head()
    client = Client()
    latest = client.get("/api/v1/journal/tree-head").json()
    assert latest["tree_size"] == second.tree_size
    older = client.get(f"/api/v1/journal/tree-head?tree_size={first.tree_size}").json()
    assert older == first.as_json()
    for index in (0, 7, first.tree_size - 1):
        proof = client.get(
            f"/api/v1/journal/proofs/inclusion?index={index}&tree_size={second.tree_size}"
        ).json()
        merkle.verify_inclusion(
            bytes.fromhex(proof["leaf_hash"]),
            index,
            second.tree_size,
            [bytes.fromhex(h) for h in proof["hashes"]],
            bytes.fromhex(second.root_hash),
        )
    proof = client.get(
        f"/api/v1/journal/proofs/consistency?first={first.tree_size}&second={second.tree_size}"
    ).json()
    merkle.verify_consistency(
        first.tree_size,
        second.tree_size,
        bytes.fromhex(first.root_hash),
        bytes.fromhex(second.root_hash),
        [bytes.fromhex(h) for h in proof["hashes"]],
    )
    bad = client.get(f"/api/v1/journal/proofs/inclusion?index=999&tree_size={second.tree_size}")
    assert bad.status_code == 400 and "index" in bad.json()["message"]
    keys = client.get("/api/v1/journal/public-keys").json()
    assert second.key_id in [k["key_id"] for k in keys]


def test_entries_endpoint_is_scoped(world):
    officer = Client(headers={"Authorization": f"Bearer {world.token}"})
    outsider = Client(headers={"Authorization": f"Bearer {world.outsider_token}"})
    mine = officer.get("/api/v1/journal/entries?start=0&end=1000").json()
    theirs = outsider.get("/api/v1/journal/entries?start=0&end=1000").json()
    assert mine and theirs and not {e["index"] for e in mine} & {e["index"] for e in theirs}
    for e in mine:
        assert json.loads(e["leaf"])["office"] == world.officer.office_id
    assert Client().get("/api/v1/journal/entries").status_code == 401
    from sceau.identity import services

    auditor = services.create_officer(
        None, "audit@x.test", "Audit", "pw-audit-123456", role="auditor"
    )
    token = services.issue_api_token(auditor, "audit")
    every = (
        Client(headers={"Authorization": f"Bearer {token}"})
        .get("/api/v1/journal/entries?start=0&end=1000")
        .json()
    )
    assert len(every) == JournalEntry.objects.count()
    # an auditor token is no officer token
    assert (
        Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/dossiers").status_code
        == 401
    )


def _unguarded(sql: str, params: list) -> None:
    """Tamper as an attacker with database access would: triggers off, then the change."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(sql, params)
            cursor.execute("SET LOCAL session_replication_role = origin")
        else:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            triggers = cursor.fetchall()
            for name, _ in triggers:
                cursor.execute(f"DROP TRIGGER {name}")
            cursor.execute(sql, params)
            for _, create in triggers:
                cursor.execute(create)


def _export_and_verify(tmp_path, name: str) -> tuple[int, str]:
    target = tmp_path / name
    transparency.export(target)
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()) as out:
        code = sceau_verify([str(target)])
    return code, err.getvalue() + out.getvalue()


def test_intact_journal_verifies_live_and_offline(tmp_path):
    fill(50)
    transparency.make_tree_head()
    fill(10)
    report = transparency.verify_live()
    assert report.entries == JournalEntry.objects.count()
    code, _ = _export_and_verify(tmp_path, "ok")
    assert code == 0


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        (
            "UPDATE journal_journalentry SET leaf = replace(leaf, 'added', 'hacked') "
            'WHERE "index" = %s',
            "{i}",
        ),
        ('DELETE FROM journal_journalentry WHERE "index" = %s', "{i}"),
        ('UPDATE journal_journalnode SET hash = %s WHERE level = 1 AND "index" = %s', "niveau 1"),
    ],
)
def test_tampering_is_caught_and_located(tmp_path, tamper, named):
    fill(40)
    transparency.make_tree_head()
    i = 17
    params = [b"\x00" * 32, i // 2] if "journalnode" in tamper else [i]
    _unguarded(tamper, params)
    with pytest.raises(transparency.JournalCorrupted) as caught:
        transparency.verify_live()
    assert named.format(i=i) in caught.value.message
    if "journalnode" not in tamper:  # subtree hashes are not exported; entries are
        code, output = _export_and_verify(tmp_path, "bad")
        assert code == 1, output


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("details", '{"n": 99}'),
        ("actor_name", "Maître Faussaire"),
        ("action", "test:entry:forged"),
        ("office_id", 42),
        ("dossier_id", 1),
        ("case_kind", "claim"),
    ],
)
def test_a_copied_column_changed_outside_the_leaf_is_caught(column, value):
    """Found (issue #14): with the triggers bypassed, ``UPDATE ... SET details=...`` (leaf
    untouched) passed ``verify``: the columns pages and the API read are now checked against
    the hashed leaf."""
    fill(8)
    transparency.make_tree_head()
    transparency.verify_live()
    _unguarded(
        f'UPDATE journal_journalentry SET {column} = %s WHERE "index" = 5',  # noqa: S608
        [value],
    )
    with pytest.raises(transparency.JournalCorrupted, match=f"entrée 5 .*{column}"):
        transparency.verify_live()


def test_reordered_entries_are_caught(tmp_path):
    fill(10)
    transparency.make_tree_head()
    a, b = JournalEntry.objects.filter(index__in=[3, 4]).order_by("index")
    _unguarded(
        "UPDATE journal_journalentry SET leaf = %s, leaf_hash = %s WHERE id = %s",
        [b.leaf, b.leaf_hash, a.pk],
    )
    _unguarded(
        "UPDATE journal_journalentry SET leaf = %s, leaf_hash = %s WHERE id = %s",
        [a.leaf, a.leaf_hash, b.pk],
    )
    with pytest.raises(transparency.JournalCorrupted, match="3"):
        transparency.verify_live()
    code, _ = _export_and_verify(tmp_path, "swapped")
    assert code == 1


def test_pruning_keeps_the_tree_verifiable(tmp_path):
    fill(12)
    transparency.make_tree_head()
    assert transparency.prune() == 0  # nothing is past retention yet
    # time passes (the database checks retention with its own clock, so move the dates back)
    _unguarded(
        'UPDATE journal_journalentry SET retain_until = %s WHERE "index" < 5',
        ["2000-01-01 00:00:00" if connection.vendor == "sqlite" else "2000-01-01T00:00:00Z"],
    )
    assert transparency.prune() == 5
    pruned = JournalEntry.objects.filter(index__lt=5)
    assert all(e.leaf == "" and e.pruned_at and e.details == {} for e in pruned)
    assert JournalEntry.objects.filter(index__gte=5, pruned_at=None).count() == (
        JournalEntry.objects.count() - 5
    )
    transparency.verify_live()
    code, output = _export_and_verify(tmp_path, "pruned")
    assert code == 0, output
    lines = (tmp_path / "pruned" / "entries.jsonl").read_text().splitlines()
    assert json.loads(lines[0]).keys() == {"index", "leaf_hash"}


def test_the_database_refuses_early_pruning():
    from django.db import DatabaseError, transaction
    from django.utils import timezone

    entry = fill(1)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        JournalEntry.objects.filter(pk=entry.pk).update(leaf="", pruned_at=timezone.now())


def test_subtree_hashes_cannot_be_rewritten():
    from django.db import DatabaseError, transaction

    fill(2)
    with pytest.raises(DatabaseError), transaction.atomic():
        JournalNode.objects.filter(level=0).update(hash=b"\x00" * 32)
    with pytest.raises(DatabaseError), transaction.atomic():
        JournalNode.objects.all().delete()
    transparency.make_tree_head()
    with pytest.raises(DatabaseError), transaction.atomic():
        TreeHead.objects.update(root_hash="0" * 64)
