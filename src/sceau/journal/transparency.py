"""The journal as a transparency log: signed tree heads, proofs, pruning, export, live check."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from sceau.core.errors import SceauError
from sceau.journal import merkle, services, signing, verifier
from sceau.journal.canonical import canonical_json, leaf_hash
from sceau.journal.models import JournalEntry, JournalHead, JournalNode, TreeHead

PAGE = 1000


class ProofRequestError(SceauError):
    code = "invalid_proof_request"


# --- tree heads ----------------------------------------------------------------------------


def committed_size() -> int:
    """Entries below this index are committed with their subtree hashes.

    A plain read is enough: an append increments the head row and inserts its entry and nodes
    in one transaction, so a committed ``next_index`` never runs ahead of its nodes (and
    appends commit in index order, since each holds the head row until it commits).
    """
    return JournalHead.objects.values_list("next_index", flat=True).get(pk=1)


def root_hash(size: int) -> bytes:
    return _fold_range(merkle.root_nodes(size)) if size else merkle.EMPTY_ROOT


def _fold_range(nodes: list[merkle.NodeId]) -> bytes:
    hashes = services.node_hashes(set(nodes))
    return merkle.fold([hashes[n] for n in nodes])


def make_tree_head() -> TreeHead:
    """Sign the current tree unless a head of that size exists; return the head of that size."""
    size = committed_size()
    existing = TreeHead.objects.filter(tree_size=size).first()
    if existing is not None:
        return existing
    _, key = signing.current()
    timestamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    signed = signing.sign_tree_head(key, size, root_hash(size), timestamp)
    with transaction.atomic():
        head, _ = TreeHead.objects.get_or_create(
            tree_size=size,
            defaults={k: signed[k] for k in ("root_hash", "timestamp", "key_id", "signature")},
        )
    return head


def latest_tree_head() -> TreeHead | None:
    return TreeHead.objects.order_by("-tree_size").first()


def tree_head_due(every_seconds: int) -> bool:
    latest = latest_tree_head()
    if latest is None:
        return True
    return (
        latest.tree_size != committed_size()
        and (timezone.now() - latest.created_at).total_seconds() >= every_seconds
    )


# --- proofs --------------------------------------------------------------------------------


def inclusion_proof(index: int, tree_size: int) -> list[bytes]:
    size = committed_size()
    if not 0 < tree_size <= size:
        raise ProofRequestError(f"tree_size doit être entre 1 et {size} (taille du journal).")
    if not 0 <= index < tree_size:
        raise ProofRequestError(f"index doit être entre 0 et {tree_size - 1}.")
    return _resolve(merkle.inclusion_proof_nodes(index, tree_size))


def consistency_proof(first: int, second: int) -> list[bytes]:
    size = committed_size()
    if not 0 < first <= second <= size:
        raise ProofRequestError(f"Il faut 0 < first <= second <= {size} (taille du journal).")
    return _resolve(merkle.consistency_proof_nodes(first, second))


def _resolve(elements: list[list[merkle.NodeId]]) -> list[bytes]:
    needed = {node for element in elements for node in element}
    hashes = services.node_hashes(needed)
    return [merkle.fold([hashes[n] for n in element]) for element in elements]


# --- retention -----------------------------------------------------------------------------

# Apps add filters that keep entries still needed (pieces: dossiers with available documents).
RETENTION_GUARDS: list[Callable[[QuerySet[JournalEntry]], QuerySet[JournalEntry]]] = []


def prunable(now: datetime | None = None) -> QuerySet[JournalEntry]:
    qs = JournalEntry.objects.filter(pruned_at=None, retain_until__lt=now or timezone.now())
    for guard in RETENTION_GUARDS:
        qs = guard(qs)
    return qs


def prune(now: datetime | None = None) -> int:
    """Empty the text of entries past retention; their leaf hash keeps the tree verifiable."""
    now = now or timezone.now()
    count = 0
    for pk in list(prunable(now).values_list("pk", flat=True)[:10_000]):
        with transaction.atomic():
            count += JournalEntry.objects.filter(pk=pk, pruned_at=None).update(
                leaf="", details={}, actor_id="", actor_name="", object_id="", pruned_at=now
            )
    return count


# --- export --------------------------------------------------------------------------------


def export_line(entry: JournalEntry) -> dict:
    if entry.pruned_at is not None:
        return {"index": entry.index, "leaf_hash": entry.leaf_hash}
    return {"index": entry.index, "leaf": entry.leaf}


def export(directory: Path, dossier_id: int | None = None) -> TreeHead:
    """Write entries.jsonl, tree-head.json, tree-heads.jsonl and public-keys.pem."""
    directory.mkdir(parents=True, exist_ok=True)
    head = make_tree_head()
    entries = JournalEntry.objects.filter(index__lt=head.tree_size).order_by("index")
    if dossier_id is not None:
        entries = entries.filter(dossier_id=dossier_id)
    with open(directory / "entries.jsonl", "w", encoding="utf-8") as fh:
        for entry in entries.iterator(chunk_size=PAGE):
            line = export_line(entry)
            if dossier_id is not None:
                line["inclusion"] = [h.hex() for h in inclusion_proof(entry.index, head.tree_size)]
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    (directory / "tree-head.json").write_text(json.dumps(head.as_json(), indent=2) + "\n")
    with open(directory / "tree-heads.jsonl", "w") as fh:
        for older in TreeHead.objects.filter(tree_size__lt=head.tree_size).order_by("tree_size"):
            fh.write(json.dumps(older.as_json()) + "\n")
    (directory / "public-keys.pem").write_text(signing.public_keys_pem())
    return head


# --- live verification ---------------------------------------------------------------------


class JournalCorrupted(SceauError):
    status = 500
    code = "journal_corrupted"


@dataclass
class LiveReport:
    entries: int
    nodes: int
    tree_heads: int
    root: str


def _entries() -> Iterator[JournalEntry]:
    return JournalEntry.objects.order_by("index").iterator(chunk_size=PAGE)


def verify_live() -> LiveReport:
    """Recheck every entry, every stored subtree hash and every signed tree head."""
    size = committed_size()
    compact = merkle.CompactRange()
    heads = {h.tree_size: h for h in TreeHead.objects.all()}
    keys = signing.public_keys()
    for head in heads.values():
        _check_signature(head, keys)
    if 0 in heads and heads[0].root_hash != merkle.EMPTY_ROOT.hex():
        raise JournalCorrupted("le tree head de taille 0 n'a pas la racine vide")
    leaves = {}
    expected = 0
    for entry in _entries():
        if entry.index != expected:
            raise JournalCorrupted(f"entrée {expected} manquante (trouvé {entry.index} à sa place)")
        if entry.pruned_at is None:
            if leaf_hash(entry.leaf) != entry.leaf_hash:
                raise JournalCorrupted(
                    f"entrée {entry.index} : le texte ne correspond pas à son empreinte"
                )
            leaf = json.loads(entry.leaf)
            if leaf.get("index") != entry.index or canonical_json(leaf) != entry.leaf:
                raise JournalCorrupted(
                    f"entrée {entry.index} : feuille non canonique ou mal indexée"
                )
            _check_copied_columns(entry, leaf)
        digest = bytes.fromhex(entry.leaf_hash)
        leaves[entry.index] = digest
        compact.append(digest)
        expected += 1
        head = heads.get(expected)
        if head is not None and compact.root().hex() != head.root_hash:
            raise JournalCorrupted(
                f"les entrées avant {expected} ne correspondent plus au tree head signé "
                "de cette taille"
            )
    if expected < size:
        raise JournalCorrupted(f"entrées manquantes : {expected} lues, {size} attendues")
    nodes = _verify_nodes(leaves)
    return LiveReport(expected, nodes, len(heads), compact.root().hex())


def _check_copied_columns(entry: JournalEntry, leaf: dict) -> None:
    """The columns pages and the API read must say what the hashed leaf says (found: with the
    triggers bypassed, a changed ``details`` column passed ``verify``)."""
    try:
        expected = services.columns_of_leaf(leaf)
        expected["recorded_at"] = services.parse_time(leaf["time"])
    except (KeyError, TypeError, ValueError):
        raise JournalCorrupted(f"entrée {entry.index} : feuille incomplète") from None
    changed = sorted(name for name, value in expected.items() if getattr(entry, name) != value)
    if changed:
        raise JournalCorrupted(
            f"entrée {entry.index} : colonnes modifiées hors de la feuille hachée "
            f"({', '.join(changed)})"
        )


def _verify_nodes(leaves: dict[int, bytes]) -> int:
    by_id = {}
    for level, index, value in JournalNode.objects.values_list("level", "index", "hash").iterator(
        chunk_size=10 * PAGE
    ):
        by_id[merkle.NodeId(level, index)] = bytes(value)
    for index, digest in leaves.items():
        if by_id.get(merkle.NodeId(0, index)) != digest:
            raise JournalCorrupted(f"empreinte stockée de la feuille {index} altérée ou absente")
    for node, value in sorted(by_id.items()):
        if node.level == 0:
            continue
        left = by_id.get(merkle.NodeId(node.level - 1, 2 * node.index))
        right = by_id.get(merkle.NodeId(node.level - 1, 2 * node.index + 1))
        if left is None or right is None or merkle.hash_children(left, right) != value:
            raise JournalCorrupted(f"sous-arbre (niveau {node.level}, n° {node.index}) altéré")
    count = len(leaves)
    for level in range(1, count.bit_length()):
        for index in range(count >> level):
            if merkle.NodeId(level, index) not in by_id:
                raise JournalCorrupted(f"sous-arbre (niveau {level}, n° {index}) manquant")
    return len(by_id)


def _check_signature(head: TreeHead, keys: dict) -> None:
    try:
        parsed = verifier.TreeHead.from_json(head.as_json(), f"tree head {head.tree_size}")
        verifier.verify_tree_head(parsed, keys)
    except verifier.VerificationError as exc:
        raise JournalCorrupted(f"tree head {head.tree_size} : {exc}") from None
