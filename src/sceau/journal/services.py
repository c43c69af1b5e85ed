"""The one entry point that writes the journal."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet

from sceau.core.dates import add_months_dt
from sceau.journal import merkle
from sceau.journal.canonical import canonical_json, leaf_hash
from sceau.journal.cases import DOSSIER, CaseRef
from sceau.journal.events import TAG
from sceau.journal.models import JournalEntry, JournalHead, JournalNode

# Leaves written since the case reference carry ``"v": 2``; earlier leaves (no "v") are hashed
# as they are and never rewritten.
LEAF_VERSION = 2
FORBIDDEN_DETAIL_KEYS = frozenset({"code", "password", "token", "secret", "content", "totp"})


@dataclass(frozen=True)
class Actor:
    """Who did something. Build one with a constructor, never by hand, so that each kind is
    journaled the same way everywhere (a creditor's id is always their user's pk; a debtor has
    no user account, their id is the claim's pk)."""

    kind: str
    id: str = ""
    name: str = ""

    KINDS = frozenset(
        {"system", "anonymous", "officer", "auditor", "creditor", "recipient", "debtor", "api"}
    )

    def __post_init__(self) -> None:
        if self.kind not in self.KINDS:
            raise ValueError(f"actor kind {self.kind!r} is not one of {sorted(self.KINDS)}")

    @classmethod
    def system(cls, name: str = "sceau") -> Actor:
        return cls("system", "", name)

    @classmethod
    def anonymous(cls) -> Actor:
        return cls("anonymous")

    @classmethod
    def officer(cls, user: Any) -> Actor:
        return cls("officer", str(user.pk), user.full_name)

    @classmethod
    def auditor(cls, user: Any) -> Actor:
        return cls("auditor", str(user.pk), user.full_name)

    @classmethod
    def creditor(cls, user: Any) -> Actor:
        return cls("creditor", str(user.pk), user.full_name)

    @classmethod
    def creditor_without_account(cls, name: str) -> Actor:
        """A creditor represented by an officer, who has no account of their own."""
        return cls("creditor", "", name)

    @classmethod
    def recipient(cls, recipient_id: int, name: str) -> Actor:
        return cls("recipient", str(recipient_id), name)

    @classmethod
    def debtor(cls, claim_id: int, name: str) -> Actor:
        return cls("debtor", str(claim_id), name)

    @classmethod
    def api(cls, token_id: int, name: str) -> Actor:
        return cls("api", str(token_id), name)


def _rfc3339(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record(
    actor: Actor,
    action: str,
    *,
    object_kind: str = "",
    object_id: object = "",
    office_id: int | None = None,
    case: CaseRef | None = None,
    details: dict[str, Any] | None = None,
) -> JournalEntry:
    """Append one entry, inside the caller's transaction (or a new one).

    ``action`` is a member of an app's ``EventTag`` enum (``source:subject:action``, e.g.
    ``PiecesEvent.DOCUMENT_DEPOSITED``); ``case`` is the dossier or claim the entry is about
    (a dossier also fills the ``dossier_id`` column, as entries did before the case reference).
    """
    if not TAG.match(str(action)):
        raise ValueError(f"journal action {action!r} must look like source:subject:action")
    action = str(action)
    dossier_id = case.id if case is not None and case.kind == DOSSIER else None
    details = details or {}
    leaked = FORBIDDEN_DETAIL_KEYS.intersection(details)
    if leaked:
        raise ValueError(f"journal details must not carry secrets or content: {sorted(leaked)}")
    with transaction.atomic(), _raw_cursor() as cursor:
        # The UPDATE takes the row lock on PostgreSQL (and the write lock on SQLite), so two
        # concurrent appends serialise here and indices stay gapless and unique.
        index = _take_index(cursor)
        now = datetime.now(UTC)
        leaf_obj = {
            "index": index,
            "time": _rfc3339(now),
            "actor": {"kind": actor.kind, "id": str(actor.id), "name": actor.name},
            "action": action,
            "object": {"kind": object_kind, "id": str(object_id)},
            "office": office_id,
            "dossier": dossier_id,
            "case": case.as_json() if case is not None else None,
            "details": details,
            "v": LEAF_VERSION,
        }
        leaf = canonical_json(leaf_obj)
        digest = leaf_hash(leaf)
        _store_nodes(cursor, index, bytes.fromhex(digest))
        return _insert_entry(
            cursor,
            {
                **columns_of_leaf(leaf_obj),
                "recorded_at": now,
                "leaf": leaf,
                "leaf_hash": digest,
                "retain_until": add_months_dt(now, settings.CONFIG.journal_retention_months),
                "pruned_at": None,
            },
        )


def entries_for(case: CaseRef) -> QuerySet[JournalEntry]:
    """Every entry about a case, in order (a dossier's entries written before the case
    reference existed are found by their dossier column)."""
    if case.kind == DOSSIER:
        return JournalEntry.objects.filter(dossier_id=case.id).order_by("index")
    return JournalEntry.objects.filter(case_kind=case.kind, case_id=case.id).order_by("index")


def columns_of_leaf(leaf: dict[str, Any]) -> dict[str, Any]:
    """The columns an entry copies from its leaf, for indexed queries (everything but the
    time, kept as a datetime). The leaf is what is hashed: ``sceau journal verify`` recomputes
    these columns from it and refuses an entry whose copied columns were changed."""
    case = leaf.get("case")  # absent from leaves written before the case reference
    return {
        "index": leaf["index"],
        "actor_kind": leaf["actor"]["kind"],
        "actor_id": leaf["actor"]["id"],
        "actor_name": leaf["actor"]["name"],
        "action": leaf["action"],
        "object_kind": leaf["object"]["kind"],
        "object_id": leaf["object"]["id"],
        "office_id": leaf["office"],
        "dossier_id": leaf["dossier"],
        "case_kind": case["kind"] if case else None,
        "case_id": case["id"] if case else None,
        "details": leaf["details"],
    }


def parse_time(text: str) -> datetime:
    """The ``time`` of a leaf (RFC 3339 UTC with microseconds) as an aware datetime."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


# Appends are the journal's hot path: plain SQL built once (standard SQL, the same on SQLite and
# PostgreSQL) with the fields' own conversions, instead of the ORM's per-call query compilation
# (about 4x faster; benchmarks/journal.py measures it against pymerkle).

_ENTRY_FIELDS = [
    JournalEntry._meta.get_field(name)
    for name in (
        "index",
        "recorded_at",
        "actor_kind",
        "actor_id",
        "actor_name",
        "action",
        "object_kind",
        "object_id",
        "office_id",
        "dossier_id",
        "case_kind",
        "case_id",
        "details",
        "leaf",
        "leaf_hash",
        "retain_until",
        "pruned_at",
    )
]
# Only these need the database's own conversion; the rest are str, int or None as they are.
_CONVERTED = frozenset({"recorded_at", "retain_until", "pruned_at", "details"})
_COLUMNS = ", ".join('"' + f.column + '"' for f in _ENTRY_FIELDS)
_INSERT_ENTRY = (
    f'INSERT INTO "{JournalEntry._meta.db_table}" ({_COLUMNS}) '  # noqa: S608 (the model's names)
    f"VALUES ({', '.join(['%s'] * len(_ENTRY_FIELDS))}) RETURNING id"
)
_TAKE_INDEX = (
    f'UPDATE "{JournalHead._meta.db_table}" SET next_index = next_index + 1 '  # noqa: S608
    "WHERE id = 1 RETURNING next_index"
)
_INSERT_NODE = (
    f'INSERT INTO "{JournalNode._meta.db_table}" (level, "index", hash) VALUES (%s, %s, %s)'  # noqa: S608
)


@contextlib.contextmanager
def _raw_cursor() -> Iterator[Any]:
    """The driver's own cursor on Django's connection (same transaction), without Django's
    per-statement wrapping; statements go through ``_sql`` for the driver's placeholders."""
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        yield cursor
    finally:
        cursor.close()


@functools.lru_cache(maxsize=64)
def _sql(statement: str, vendor: str) -> str:
    """``%s`` placeholders as the driver wants them (sqlite3 uses ``?``)."""
    return statement.replace("%s", "?") if vendor == "sqlite" else statement


def _insert_entry(cursor, values: dict[str, Any]) -> JournalEntry:
    params = [
        f.get_db_prep_save(values[f.name], connection) if f.name in _CONVERTED else values[f.name]
        for f in _ENTRY_FIELDS
    ]
    cursor.execute(_sql(_INSERT_ENTRY, connection.vendor), params)
    entry = JournalEntry(id=cursor.fetchone()[0], **values)
    entry._state.adding = False
    entry._state.db = connection.alias
    return entry


def _take_index(cursor) -> int:
    """Reserve the next index: one statement that also locks the head row until commit."""
    cursor.execute(_sql(_TAKE_INDEX, connection.vendor))
    row = cursor.fetchone()
    if row is None:  # the row is created by migration journal.0002
        raise RuntimeError("journal head row is missing: run `sceau migrate`")
    return row[0] - 1


def node_hashes(nodes: set[merkle.NodeId], cursor=None) -> dict[merkle.NodeId, bytes]:
    """Several stored subtree hashes in one indexed query (O(log n) of them for a proof)."""
    found: dict[merkle.NodeId, bytes] = {}
    if nodes:
        ordered = sorted(nodes)
        where = " OR ".join(['(level = %s AND "index" = %s)'] * len(ordered))
        params = [v for node in ordered for v in (node.level, node.index)]
        sql = f'SELECT level, "index", hash FROM "{JournalNode._meta.db_table}" WHERE {where}'  # noqa: S608
        if cursor is None:
            with connection.cursor() as own:
                own.execute(sql, params)
                rows = own.fetchall()
        else:  # a raw driver cursor of an append
            cursor.execute(_sql(sql, connection.vendor), params)
            rows = cursor.fetchall()
        for level, index, value in rows:
            found[merkle.NodeId(level, index)] = bytes(value)
    missing = nodes - found.keys()
    if missing:
        raise LookupError(f"journal subtree hashes missing: {sorted(missing)[:5]}")
    return found


def _store_nodes(cursor, index: int, digest: bytes) -> None:
    """Store the leaf and every subtree it completes: the left siblings it needs are known from
    the bits of ``index`` and read in one query; never the whole log."""
    siblings = set()
    level, position = 0, index
    while position & 1:
        siblings.add(merkle.NodeId(level, position - 1))
        level, position = level + 1, position >> 1
    known = node_hashes(siblings, cursor)
    new = merkle.append_nodes(index, digest, known.__getitem__)
    cursor.executemany(
        _sql(_INSERT_NODE, connection.vendor),
        [(node.level, node.index, value) for node, value in new],
    )
