"""The one entry point that writes the journal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F

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
        updated = JournalHead.objects.filter(pk=1).update(next_index=F("next_index") + 1)
        if not updated:  # the row is created by migration journal.0002
            raise RuntimeError("journal head row is missing: run `sceau migrate`")
        index = JournalHead.objects.values_list("next_index", flat=True).get(pk=1) - 1
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
        return JournalEntry.objects.create(
            index=index,
            recorded_at=now,
            actor_kind=actor.kind,
            actor_id=str(actor.id),
            actor_name=actor.name,
            action=action,
            object_kind=object_kind,
            object_id=str(object_id),
            office_id=office_id,
            dossier_id=dossier_id,
            details=details,
            leaf=leaf,
            leaf_hash=digest,
            retain_until=add_months_dt(now, settings.CONFIG.journal_retention_months),
        )


def node_hash(node: merkle.NodeId) -> bytes:
    """The stored hash of one complete subtree."""
    return bytes(
        JournalNode.objects.values_list("hash", flat=True).get(level=node.level, index=node.index)
    )


def node_hashes(nodes: set[merkle.NodeId]) -> dict[merkle.NodeId, bytes]:
    """Several stored subtree hashes in one query per level."""
    found: dict[merkle.NodeId, bytes] = {}
    by_level: dict[int, list[int]] = {}
    for node in nodes:
        by_level.setdefault(node.level, []).append(node.index)
    for level, indices in by_level.items():
        rows = JournalNode.objects.filter(level=level, index__in=indices).values_list(
            "index", "hash"
        )
        for index, value in rows:
            found[merkle.NodeId(level, index)] = bytes(value)
    missing = nodes - found.keys()
    if missing:
        raise LookupError(f"journal subtree hashes missing: {sorted(missing)[:5]}")
    return found


def _store_nodes(index: int, digest: bytes) -> None:
    """Store the leaf and every subtree it completes: O(log n) reads, never the whole log."""
    new = merkle.append_nodes(index, digest, node_hash)
    JournalNode.objects.bulk_create(
        [JournalNode(level=node.level, index=node.index, hash=value) for node, value in new]
    )
