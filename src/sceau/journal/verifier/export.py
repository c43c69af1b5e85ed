"""Verification of a whole export: its entries against the signed tree heads."""

from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from sceau.journal.merkle import (
    EMPTY_ROOT,
    CompactRange,
    ProofError,
    fold,
    verify_consistency,
    verify_inclusion,
)

from .entries import (
    _backwards,
    _chunk_results,
    _Job,
    _parse_line,
    _Stamp,
    verify_leaf,
)
from .errors import InputError, VerificationError
from .heads import (
    CONSISTENCY,
    ENTRIES,
    PUBLIC_KEYS,
    TREE_HEAD,
    TREE_HEADS,
    ConsistencyProof,
    TreeHead,
    load_consistency,
    load_public_keys,
    load_tree_head,
    load_tree_heads,
    parse_time,
    verify_tree_head,
)

CHUNK = 1 << 13  # lines per unit of work; a power of two so chunks are perfect subtrees


@dataclass(frozen=True)
class VerificationReport:
    """What was verified."""

    tree_size: int
    root_hash: bytes
    timestamp: str
    key_id: str
    entries: int  # entry lines checked
    pruned: int  # of which given only by their leaf hash
    partial: bool
    earlier_heads: int  # earlier signed tree heads whose roots were recomputed
    previous_size: int | None  # size of the --previous tree head, if any

    def summary(self) -> str:
        """One line, e.g. ``OK: 1000000 entrées, racine ..., arbre signé le ...``."""
        if self.partial:
            text = (
                f"OK: {self.entries} entrées (export partiel, preuves d'inclusion vérifiées) "
                f"dans l'arbre de {self.tree_size} entrées"
            )
        else:
            text = f"OK: {self.entries} entrées"
        if self.pruned:
            text += f" (dont {self.pruned} élaguées)"
        text += (
            f", racine {self.root_hash.hex()}, arbre signé le {self.timestamp} par {self.key_id}"
        )
        if self.earlier_heads:
            text += f", {self.earlier_heads} têtes d'arbre antérieures concordantes"
        if self.previous_size is not None:
            text += f", cohérent avec l'arbre précédent de {self.previous_size} entrées"
        return text


def _check_head_order(head: TreeHead, earlier: Sequence[TreeHead]) -> None:
    previous: TreeHead | None = None
    for h in [*earlier, head]:
        if h.tree_size > head.tree_size:
            raise VerificationError(
                f"{h.source}: tree head of size {h.tree_size} is larger than "
                f"{head.describe()}, the final one"
            )
        if previous is not None:
            if h.tree_size < previous.tree_size:
                raise VerificationError(
                    f"{h.source}: tree head of size {h.tree_size} comes after one of size "
                    f"{previous.tree_size}"
                )
            if h.time < previous.time:
                raise VerificationError(
                    f"{h.source}: {h.describe()} is older than {previous.describe()}"
                )
        previous = h


def _rewritten(previous: TreeHead, root: bytes) -> VerificationError:
    return VerificationError(
        f"the log was rewritten since the tree head of size {previous.tree_size} signed at "
        f"{previous.timestamp}: its first {previous.tree_size} entries now have root "
        f"{root.hex()}, that tree head signed {previous.root_hash.hex()}"
    )


class _Checkpoint(NamedTuple):
    size: int
    rank: int  # at equal size: earlier heads, then the final head, then --previous
    head: TreeHead


def verify_lines(
    lines: Iterable[str | bytes],
    head: TreeHead,
    *,
    earlier_heads: Sequence[TreeHead] = (),
    previous: TreeHead | None = None,
    consistency: ConsistencyProof | None = None,
    jobs: int = 1,
) -> VerificationReport:
    """Verify the lines of an ``entries.jsonl`` against signed tree heads already verified.

    A full export (no ``inclusion`` on the first line) is folded into the Merkle root, checked
    at every earlier head's size and against ``head``; a partial one is checked entry by entry
    with its inclusion proofs, and against ``previous`` with ``consistency``. ``jobs`` > 1
    checks the lines of a full export in that many processes.
    """
    _check_head_order(head, earlier_heads)
    if previous is not None and previous.tree_size > head.tree_size:
        raise VerificationError(
            f"the previous tree head of size {previous.tree_size} (signed at "
            f"{previous.timestamp}) is larger than {head.describe()}: the log shrank"
        )
    numbered = enumerate(lines, 1)
    first = next(numbered, None)
    if first is not None and _parse_line(first[1], first[0]).inclusion is not None:
        return _verify_partial(
            itertools.chain([first], numbered), head, earlier_heads, previous, consistency
        )
    rest = (text for _, text in itertools.chain([] if first is None else [first], numbered))
    return _verify_full(rest, head, earlier_heads, previous, jobs)


def _verify_full(
    lines: Iterator[str | bytes],
    head: TreeHead,
    earlier: Sequence[TreeHead],
    previous: TreeHead | None,
    jobs: int,
) -> VerificationReport:
    size = head.tree_size
    checkpoints = [_Checkpoint(h.tree_size, 0, h) for h in earlier]
    checkpoints.append(_Checkpoint(size, 1, head))
    if previous is not None:
        checkpoints.append(_Checkpoint(previous.tree_size, 2, previous))
    checkpoints.sort(key=lambda c: (c.size, c.rank))
    sizes = sorted({c.size for c in checkpoints})
    pending = deque(checkpoints)
    interval_start = 0  # size of the last signed tree head of the export found to match

    def check(root: bytes) -> None:
        nonlocal interval_start
        checkpoint = pending.popleft()
        signed = checkpoint.head
        if checkpoint.rank == 2:
            if root != signed.root_hash:
                raise _rewritten(signed, root)
        elif root != signed.root_hash:
            raise VerificationError(
                f"entries in [{interval_start}, {checkpoint.size}) do not match "
                f"{signed.describe()} (computed root {root.hex()}, signed root "
                f"{signed.root_hash.hex()})"
            )
        else:
            interval_start = checkpoint.size

    while pending and pending[0].size == 0:
        check(EMPTY_ROOT)

    def make_jobs() -> Iterator[_Job]:
        for n in itertools.count():
            chunk = list(itertools.islice(lines, CHUNK))
            if not chunk:
                return
            start = n * CHUNK
            within = tuple(s for s in sizes if start < s <= start + len(chunk))
            yield _Job(start + 1, start, size, chunk, within)

    chunks = CompactRange()  # over the roots of full chunks: the levels >= log2(CHUNK)
    last_time: _Stamp | None = None
    total = pruned = 0
    results = _chunk_results(make_jobs(), jobs)
    try:
        for result in results:
            # Report failures in stream order: a tree head reached before a bad entry first.
            backwards = None
            first = result.first_time
            if last_time is not None and first is not None and first.value < last_time.value:
                backwards = _backwards(first, last_time)
            while pending and pending[0].size <= total + result.count:
                if backwards is not None and backwards.index < pending[0].size:
                    raise backwards
                check(fold(chunks.hashes + result.snapshots[pending[0].size]))
            if backwards is not None:
                raise backwards
            if result.failure is not None:
                raise result.failure.error()
            total += result.count
            pruned += result.pruned
            last_time = result.last_time or last_time
            if result.count == CHUNK:
                chunks.append(result.hashes[0])
    finally:
        results.close()  # stops the worker processes at once on a failure
    if total != size:
        hint = " (an empty file is read as a full export)" if total == 0 else ""
        raise VerificationError(
            f"the export ends after {total} entries but {head.describe()} covers {size}{hint}"
        )
    assert not pending  # every checkpoint size is <= size, so all were reached
    return VerificationReport(
        size,
        head.root_hash,
        head.timestamp,
        head.key_id,
        total,
        pruned,
        False,
        len(earlier),
        None if previous is None else previous.tree_size,
    )


def _verify_partial(
    numbered: Iterator[tuple[int, str | bytes]],
    head: TreeHead,
    earlier: Sequence[TreeHead],
    previous: TreeHead | None,
    consistency: ConsistencyProof | None,
) -> VerificationReport:
    last_index = -1
    last_time: _Stamp | None = None
    count = pruned = 0
    for line, text in numbered:
        entry = _parse_line(text, line)
        index = entry.index
        if entry.inclusion is None:
            raise VerificationError(
                f"line {line}: entry {index} has no inclusion proof but the export is partial "
                "(the first line has one)",
                index,
                line,
            )
        if index <= last_index:
            raise VerificationError(
                f"line {line}: entry {index} comes after entry {last_index} (indices must "
                "increase)",
                index,
                line,
            )
        if index >= head.tree_size:
            raise VerificationError(
                f"line {line}: entry {index} is beyond {head.describe()}", index, line
            )
        if entry.leaf is None:
            leaf_hash = entry.leaf_hash
            pruned += 1
        else:
            leaf_hash, time = verify_leaf(entry.leaf, index, line)
            if time is not None:
                try:
                    stamp = _Stamp(index, line, time, parse_time(time))
                except ValueError as exc:
                    raise VerificationError(
                        f"line {line}: entry {index}: time {exc}", index, line
                    ) from None
                if last_time is not None and stamp.value < last_time.value:
                    raise _backwards(stamp, last_time)
                last_time = stamp
        assert leaf_hash is not None
        try:
            verify_inclusion(leaf_hash, index, head.tree_size, entry.inclusion, head.root_hash)
        except ProofError as exc:
            raise VerificationError(
                f"line {line}: entry {index}: inclusion proof does not verify against "
                f"{head.describe()}: {exc.reason}",
                index,
                line,
            ) from None
        last_index = index
        count += 1
    if previous is not None:
        _check_previous_partial(head, previous, consistency)
    return VerificationReport(
        head.tree_size,
        head.root_hash,
        head.timestamp,
        head.key_id,
        count,
        pruned,
        True,
        0,
        None if previous is None else previous.tree_size,
    )


def _check_previous_partial(
    head: TreeHead, previous: TreeHead, consistency: ConsistencyProof | None
) -> None:
    if previous.tree_size in (0, head.tree_size):
        expected = EMPTY_ROOT if previous.tree_size == 0 else head.root_hash
        if previous.root_hash != expected:
            raise _rewritten(previous, expected)
        return
    if consistency is None:
        raise InputError(f"a partial export checked with --previous needs {CONSISTENCY}")
    if (consistency.first, consistency.second) != (previous.tree_size, head.tree_size):
        raise VerificationError(
            f"{CONSISTENCY} proves sizes {consistency.first} to {consistency.second}, "
            f"not {previous.tree_size} to {head.tree_size}"
        )
    try:
        verify_consistency(
            previous.tree_size,
            head.tree_size,
            previous.root_hash,
            head.root_hash,
            consistency.proof,
        )
    except ProofError as exc:
        raise VerificationError(
            f"the log was rewritten since the tree head of size {previous.tree_size} signed at "
            f"{previous.timestamp}: the consistency proof to {head.describe()} fails: "
            f"{exc.reason}"
        ) from None


def verify_export(
    path: str | os.PathLike[str],
    previous: str | os.PathLike[str] | TreeHead | None = None,
    *,
    jobs: int = 1,
) -> VerificationReport:
    """Verify an export directory; raise ``VerificationError`` (``InputError``) on failure.

    ``previous`` is an older signed tree head (a file or a ``TreeHead``) that this export
    must extend. Checks, in order: every tree head's signature, then the entries (see
    ``verify_lines``).
    """
    directory = Path(path)
    entries_path = directory / ENTRIES
    if not directory.is_dir():
        raise InputError(f"{directory} is not a directory")
    keys = load_public_keys(directory / PUBLIC_KEYS)
    head = load_tree_head(directory / TREE_HEAD)
    heads_path = directory / TREE_HEADS
    earlier = load_tree_heads(heads_path) if heads_path.exists() else []
    if previous is not None and not isinstance(previous, TreeHead):
        previous = load_tree_head(previous, source=f"previous tree head {Path(previous).name}")
    consistency = None
    if (directory / CONSISTENCY).exists():
        consistency = load_consistency(directory / CONSISTENCY)
    if not entries_path.is_file():
        raise InputError(f"{entries_path} is missing")
    for signed in [head, *earlier, *([] if previous is None else [previous])]:
        verify_tree_head(signed, keys)
    try:
        with entries_path.open("rb") as lines:
            return verify_lines(
                lines,
                head,
                earlier_heads=earlier,
                previous=previous,
                consistency=consistency,
                jobs=jobs,
            )
    except OSError as exc:
        raise InputError(f"cannot read {entries_path}: {exc.strerror or exc}") from None
