"""The one entry point that writes the journal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from sceau.core.dates import add_months_dt
from sceau.journal import merkle
from sceau.journal.canonical import canonical_json, leaf_hash
from sceau.journal.models import JournalEntry, JournalHead, JournalNode

FORBIDDEN_DETAIL_KEYS = frozenset({"code", "password", "token", "secret", "content", "totp"})


@dataclass(frozen=True)
class Actor:
    """Who did something: ``kind`` is officer, recipient, api, system or anonymous."""

    kind: str
    id: str = ""
    name: str = ""

    @classmethod
    def system(cls, name: str = "sceau") -> Actor:
        return cls("system", "", name)


def _rfc3339(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record(
    actor: Actor,
    action: str,
    *,
    object_kind: str = "",
    object_id: object = "",
    office_id: int | None = None,
    dossier_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> JournalEntry:
    """Append one entry, inside the caller's transaction (or a new one).

    ``action`` is a ``source:subject:action`` tag, e.g. ``pieces:document:deposited``.
    """
    if action.count(":") != 2:
        raise ValueError(f"journal action {action!r} must look like source:subject:action")
    details = details or {}
    leaked = FORBIDDEN_DETAIL_KEYS.intersection(details)
    if leaked:
        raise ValueError(f"journal details must not carry secrets or content: {sorted(leaked)}")
    with transaction.atomic():
        # The UPDATE takes the row lock on PostgreSQL (and the write lock on SQLite), so two
        # concurrent appends serialise here and indices stay gapless and unique.
        index = _take_index()
        now = datetime.now(UTC)
        leaf_obj = {
            "index": index,
            "time": _rfc3339(now),
            "actor": {"kind": actor.kind, "id": str(actor.id), "name": actor.name},
            "action": action,
            "object": {"kind": object_kind, "id": str(object_id)},
            "office": office_id,
            "dossier": dossier_id,
            "details": details,
        }
        leaf = canonical_json(leaf_obj)
        digest = leaf_hash(leaf)
        _store_nodes(index, bytes.fromhex(digest))
        return _insert_entry(
            {
                "index": index,
                "recorded_at": now,
                "actor_kind": actor.kind,
                "actor_id": str(actor.id),
                "actor_name": actor.name,
                "action": action,
                "object_kind": object_kind,
                "object_id": str(object_id),
                "office_id": office_id,
                "dossier_id": dossier_id,
                "details": details,
                "leaf": leaf,
                "leaf_hash": digest,
                "retain_until": add_months_dt(now, settings.CONFIG.journal_retention_months),
                "pruned_at": None,
            }
        )


# Appends are the journal's hot path: plain INSERTs with the fields' own conversions, instead of
# the ORM's per-call query compilation (about 3x faster; benchmarks/journal.py measures it).


def _insert_entry(values: dict[str, Any]) -> JournalEntry:
    meta = JournalEntry._meta
    quote = connection.ops.quote_name
    fields = [meta.get_field(name) for name in values]
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    params = [
        f.get_db_prep_save(values[f.name], connection) if f.name in _CONVERTED else values[f.name]
        for f in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks}) RETURNING id",  # noqa: S608
            params,
        )
        pk = cursor.fetchone()[0]
    entry = JournalEntry(id=pk, **values)
    entry._state.adding = False
    entry._state.db = connection.alias
    return entry


# Only these need the database's own conversion; the rest are str, int or None as they are.
_CONVERTED = frozenset({"recorded_at", "retain_until", "pruned_at", "details"})


def _take_index() -> int:
    """Reserve the next index: one statement that also locks the head row until commit."""
    head = JournalHead._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {head} SET next_index = next_index + 1 WHERE id = 1 RETURNING next_index"  # noqa: S608
        )
        row = cursor.fetchone()
    if row is None:  # the row is created by migration journal.0002
        raise RuntimeError("journal head row is missing: run `sceau migrate`")
    return row[0] - 1


def node_hashes(nodes: set[merkle.NodeId]) -> dict[merkle.NodeId, bytes]:
    """Several stored subtree hashes in one indexed query (O(log n) of them for a proof)."""
    found: dict[merkle.NodeId, bytes] = {}
    if nodes:
        table = JournalNode._meta.db_table
        ordered = sorted(nodes)
        where = " OR ".join(['(level = %s AND "index" = %s)'] * len(ordered))
        params = [v for node in ordered for v in (node.level, node.index)]
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT level, "index", hash FROM {table} WHERE {where}', params)  # noqa: S608
            for level, index, value in cursor.fetchall():
                found[merkle.NodeId(level, index)] = bytes(value)
    missing = nodes - found.keys()
    if missing:
        raise LookupError(f"journal subtree hashes missing: {sorted(missing)[:5]}")
    return found


def _store_nodes(index: int, digest: bytes) -> None:
    """Store the leaf and every subtree it completes: the left siblings it needs are known from
    the bits of ``index`` and read in one query; never the whole log."""
    siblings = set()
    level, position = 0, index
    while position & 1:
        siblings.add(merkle.NodeId(level, position - 1))
        level, position = level + 1, position >> 1
    known = node_hashes(siblings)
    new = merkle.append_nodes(index, digest, known.__getitem__)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(JournalNode._meta.db_table)} (level, {quote('index')}, hash) "  # noqa: S608
            "VALUES (%s, %s, %s)",
            [(node.level, node.index, value) for node, value in new],
        )
