"""``sceau-verify``: check an export of the Sceau journal without trusting the server.

An export directory holds ``entries.jsonl`` (one entry per line, in index order),
``tree-head.json`` (the signed tree head), optionally ``tree-heads.jsonl`` (earlier signed tree
heads) and ``consistency.json``, and ``public-keys.pem`` (Ed25519 keys). The verifier checks
the signatures, the entries (indices, canonical JSON, times), recomputes the RFC 9162 Merkle
root while streaming (or checks inclusion proofs for a partial export), and reports the first
failure with its line and entry index. Standard library and ``cryptography`` only; the server's
own ``sceau journal verify`` reuses ``verify_export`` / ``verify_lines``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import hashlib
import itertools
import json
import os
import re
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from json.decoder import scanstring
from json.encoder import c_make_encoder, encode_basestring
from pathlib import Path
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from sceau.journal.canonical import canonical_json
from sceau.journal.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    CompactRange,
    ProofError,
    fold,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "CONSISTENCY",
    "ENTRIES",
    "PUBLIC_KEYS",
    "TREE_HEAD",
    "TREE_HEADS",
    "ConsistencyProof",
    "InputError",
    "TreeHead",
    "VerificationError",
    "VerificationReport",
    "key_id",
    "load_consistency",
    "load_public_keys",
    "load_tree_head",
    "load_tree_heads",
    "main",
    "parse_public_keys",
    "parse_time",
    "sign_tree_head",
    "tree_head_message",
    "verify_export",
    "verify_leaf",
    "verify_lines",
    "verify_tree_head",
]

ENTRIES = "entries.jsonl"
TREE_HEAD = "tree-head.json"
TREE_HEADS = "tree-heads.jsonl"
PUBLIC_KEYS = "public-keys.pem"
CONSISTENCY = "consistency.json"

CHUNK = 1 << 13  # lines per unit of work; a power of two so chunks are perfect subtrees
_MAX_INT = 2**53 - 1
_ENTRY_FIELDS = frozenset({"index", "leaf", "leaf_hash", "inclusion"})


class VerificationError(Exception):
    """The export does not verify; ``index`` and ``line`` locate the first failure if known."""

    def __init__(self, message: str, index: int | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.index = index
        self.line = line


class InputError(VerificationError):
    """The input cannot be used at all (missing file, bad JSON, malformed tree head)."""


# -- keys and signed tree heads ---------------------------------------------------------------


def key_id(public_key: Ed25519PublicKey) -> str:
    """``"ed25519:"`` + the first 16 hex digits of SHA-256 of the raw 32-byte public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]


_PEM_BLOCK = re.compile(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL)


def parse_public_keys(pem: bytes, source: str = PUBLIC_KEYS) -> dict[str, Ed25519PublicKey]:
    """Every Ed25519 SubjectPublicKeyInfo PEM block of ``pem``, by key id."""
    keys: dict[str, Ed25519PublicKey] = {}
    for n, block in enumerate(_PEM_BLOCK.findall(pem), 1):
        try:
            key = serialization.load_pem_public_key(block)
        except ValueError as exc:
            raise InputError(f"{source}: key {n} is not a valid PEM public key ({exc})") from None
        if not isinstance(key, Ed25519PublicKey):
            raise InputError(f"{source}: key {n} is not an Ed25519 key")
        keys[key_id(key)] = key
    if not keys:
        raise InputError(f"{source}: no PEM public key found")
    return keys


def load_public_keys(path: str | os.PathLike[str]) -> dict[str, Ed25519PublicKey]:
    """Read a PEM file of Ed25519 public keys (see ``parse_public_keys``)."""
    return parse_public_keys(_read_bytes(Path(path)), Path(path).name)


def tree_head_message(fields: Mapping[str, Any]) -> bytes:
    """The bytes signed for a tree head: canonical JSON of every field but ``signature``."""
    return canonical_json({k: v for k, v in fields.items() if k != "signature"}).encode()


def sign_tree_head(
    private_key: Ed25519PrivateKey, tree_size: int, root_hash: bytes, timestamp: str
) -> dict[str, Any]:
    """A signed tree head as written in ``tree-head.json`` (for the server and for tests)."""
    fields: dict[str, Any] = {
        "tree_size": tree_size,
        "root_hash": root_hash.hex(),
        "timestamp": timestamp,
        "key_id": key_id(private_key.public_key()),
    }
    signature = private_key.sign(tree_head_message(fields))
    return {**fields, "signature": base64.b64encode(signature).decode("ascii")}


_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:Z|[+-][0-9]{2}:[0-9]{2})"
)


def parse_time(value: object) -> datetime:
    """Parse an RFC 3339 date-time with an upper-case T and a Z or numeric offset."""
    if isinstance(value, str) and _RFC3339.fullmatch(value):
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(value)
    raise ValueError(f"{value!r} is not an RFC 3339 time")


def _time_value(value: str) -> datetime:
    """``parse_time``, faster for the layout Sceau writes (2026-01-01T00:00:00.000000Z)."""
    if (
        len(value) == 27
        and value[26] == "Z"
        and value[19] == "."
        and value[10] == "T"
        and value[4] == value[7] == "-"
        and value[13] == value[16] == ":"
    ):
        try:
            return datetime.fromisoformat(value)  # checks the digits and the ranges
        except ValueError:
            pass
    return parse_time(value)


@dataclass(frozen=True)
class TreeHead:
    """A signed tree head; ``fields`` are the JSON members as read (all signed but signature)."""

    tree_size: int
    root_hash: bytes
    timestamp: str
    key_id: str
    signature: bytes
    fields: Mapping[str, Any]
    source: str = TREE_HEAD

    @classmethod
    def from_json(cls, obj: object, source: str = TREE_HEAD) -> TreeHead:
        """Validate the JSON form; raise ``InputError`` naming the bad field."""
        if not isinstance(obj, dict):
            raise InputError(f"{source}: a tree head must be a JSON object")
        missing = [
            k
            for k in ("tree_size", "root_hash", "timestamp", "key_id", "signature")
            if k not in obj
        ]
        if missing:
            raise InputError(f"{source}: tree head lacks {', '.join(missing)}")
        size = obj["tree_size"]
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise InputError(f"{source}: tree_size {size!r} is not a tree size")
        root = _parse_hex_hash(obj["root_hash"])
        if root is None:
            raise InputError(f"{source}: root_hash is not {HASH_SIZE} bytes of hex")
        try:
            parse_time(obj["timestamp"])
        except ValueError as exc:
            raise InputError(f"{source}: timestamp {exc}") from None
        if not isinstance(obj["key_id"], str):
            raise InputError(f"{source}: key_id is not a string")
        try:
            signature = base64.b64decode(obj["signature"], validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise InputError(f"{source}: signature is not base64") from None
        try:
            tree_head_message(obj)
        except ValueError as exc:
            raise InputError(f"{source}: tree head is not canonical-JSON data ({exc})") from None
        return cls(size, root, obj["timestamp"], obj["key_id"], signature, dict(obj), source)

    @property
    def time(self) -> datetime:
        """The timestamp as an aware datetime."""
        return parse_time(self.timestamp)

    def describe(self) -> str:
        """E.g. ``the signed tree head of size 12 signed at 2026-01-01T00:00:00Z``."""
        return f"the signed tree head of size {self.tree_size} signed at {self.timestamp}"


def verify_tree_head(head: TreeHead, keys: Mapping[str, Ed25519PublicKey]) -> None:
    """Check the Ed25519 signature with the key named by ``key_id``."""
    key = keys.get(head.key_id)
    if key is None:
        known = ", ".join(sorted(keys)) or "none"
        raise VerificationError(
            f"{head.source}: tree head of size {head.tree_size} is signed by unknown key "
            f"{head.key_id} (the public keys are {known})"
        )
    try:
        key.verify(head.signature, tree_head_message(head.fields))
    except InvalidSignature:
        raise VerificationError(
            f"{head.source}: the signature of {head.describe()} does not verify "
            f"with key {head.key_id}"
        ) from None


def load_tree_head(path: str | os.PathLike[str], source: str | None = None) -> TreeHead:
    """Read one signed tree head from a JSON file."""
    path = Path(path)
    name = source or path.name
    return TreeHead.from_json(_parse_json(_read_bytes(path), name), name)


def load_tree_heads(path: str | os.PathLike[str]) -> list[TreeHead]:
    """Read ``tree-heads.jsonl``: one signed tree head per line."""
    path = Path(path)
    heads = []
    for n, line in enumerate(_read_bytes(path).splitlines(), 1):
        where = f"{path.name} line {n}"
        if line.strip():
            heads.append(TreeHead.from_json(_parse_json(line, where), where))
    return heads


class ConsistencyProof(NamedTuple):
    """``consistency.json``: an RFC 9162 consistency proof between two tree sizes."""

    first: int
    second: int
    proof: list[bytes]


def load_consistency(path: str | os.PathLike[str]) -> ConsistencyProof:
    """Read ``consistency.json`` ``{"first": S, "second": N, "proof": [hex, ...]}``."""
    path = Path(path)
    obj = _parse_json(_read_bytes(path), path.name)
    if not isinstance(obj, dict):
        raise InputError(f"{path.name}: must be a JSON object")
    first, second, proof = obj.get("first"), obj.get("second"), obj.get("proof")
    for name, value in (("first", first), ("second", second)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError(f"{path.name}: {name} is not a tree size")
    hashes = _parse_hash_list(proof)
    if hashes is None:
        raise InputError(f"{path.name}: proof is not a list of hex hashes")
    return ConsistencyProof(first, second, hashes)


# -- entries ----------------------------------------------------------------------------------


class _NotCanonical(Exception):
    """Raised by the JSON hooks on a float, NaN/Infinity or an integer outside I-JSON."""


def _reject(_text: str) -> Any:
    raise _NotCanonical


def _parse_int(text: str) -> int:
    value = int(text)
    if -_MAX_INT <= value <= _MAX_INT:
        return value
    raise _NotCanonical


def _unserialisable(value: object) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON")


_leaf_decode = json.JSONDecoder(
    parse_float=_reject, parse_int=_parse_int, parse_constant=_reject
).raw_decode
# The C encoder with exactly the options of canonical_json's json.dumps, plus sorted keys
# (made once: json.dumps would build it for every call).
if c_make_encoder is not None:
    _sorted_encode = c_make_encoder(
        None, _unserialisable, encode_basestring, None, ":", ",", True, False, False
    )
else:  # pragma: no cover (Python without the _json accelerator)
    _encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    def _sorted_encode(value: object, _level: int) -> list[str]:
        return [_encoder.encode(value)]


# UTF-8 lead bytes of U+E000..U+10FFFF: only there can UTF-16 key order differ from Python's.
_HIGH_CHARS = re.compile(rb"[\xee-\xf4]")
_FAST_LINE = re.compile(r'\{"index": ?(0|[1-9][0-9]{0,17}), ?"leaf": ?"')


def _has_high_chars(text: str, utf8: bytes) -> bool:
    """Whether ``text`` has a character >= U+E000 (cheap tests first)."""
    if text.isascii():
        return False
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return _HIGH_CHARS.search(utf8) is not None
    return False


def _where(line: int | None) -> str:
    return f"line {line}: " if line is not None else ""


def verify_leaf(leaf: str, index: int, line: int | None = None) -> tuple[bytes, str | None]:
    """Check one leaf; return its RFC 9162 leaf hash and its ``time`` (or None).

    The leaf must be a JSON object whose ``index`` is ``index`` and which ``canonical_json``
    re-serialises to exactly ``leaf``.
    """
    floats = False
    try:
        value, end = _leaf_decode(leaf)
    except _NotCanonical:
        value, end, floats = None, -1, True
    except ValueError:
        value, end = None, -1
    if end != len(leaf):
        try:
            json.loads(leaf)
        except ValueError:
            raise VerificationError(
                f"{_where(line)}entry {index}: leaf is not valid JSON", index, line
            ) from None
        why = " (it has a float or an integer outside the I-JSON range)" if floats else ""
        raise VerificationError(
            f"{_where(line)}entry {index} is not canonical JSON{why}", index, line
        )
    if type(value) is not dict:
        raise VerificationError(
            f"{_where(line)}entry {index}: leaf is not a JSON object", index, line
        )
    leaf_index = value.get("index")
    if leaf_index != index or type(leaf_index) is not int:
        raise VerificationError(
            f"{_where(line)}entry {index}: the leaf says index {leaf_index!r}", index, line
        )
    try:
        data = leaf.encode()
    except UnicodeEncodeError:
        raise VerificationError(
            f"{_where(line)}entry {index}: leaf is not valid Unicode text", index, line
        ) from None
    if _has_high_chars(leaf, data):
        # Keys may then sort differently by UTF-16 code units (RFC 8785) and by code points.
        canonical = canonical_json(value) == leaf
    else:
        canonical = "".join(_sorted_encode(value, 0)) == leaf
    if not canonical:
        raise VerificationError(f"{_where(line)}entry {index} is not canonical JSON", index, line)
    time = value.get("time")
    if time is not None and not isinstance(time, str):
        raise VerificationError(
            f"{_where(line)}entry {index}: time {time!r} is not an RFC 3339 string", index, line
        )
    return hashlib.sha256(b"\x00" + data).digest(), time


class _Entry(NamedTuple):
    index: int
    leaf: str | None
    leaf_hash: bytes | None
    inclusion: list[bytes] | None


def _parse_hex_hash(value: object) -> bytes | None:
    if not isinstance(value, str) or len(value) != 2 * HASH_SIZE:
        return None
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        return None
    return raw if len(raw) == HASH_SIZE else None


def _parse_hash_list(value: object) -> list[bytes] | None:
    if not isinstance(value, list):
        return None
    hashes = [_parse_hex_hash(item) for item in value]
    return None if any(h is None for h in hashes) else hashes  # type: ignore[return-value]


def _parse_line(text: str | bytes, line: int) -> _Entry:
    """Parse one line of ``entries.jsonl`` (any member order, any JSON spacing)."""
    if isinstance(text, bytes):
        try:
            text = text.decode()
        except UnicodeDecodeError:
            raise InputError(f"{ENTRIES} line {line} is not UTF-8", line=line) from None
    m = _FAST_LINE.match(text)
    if m:
        try:
            leaf, end = scanstring(text, m.end())
        except ValueError:
            pass
        else:
            tail = text[end:]
            if tail == "}\n" or tail == "}":
                return _Entry(int(m.group(1)), leaf, None, None)
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{ENTRIES} line {line} is not valid JSON ({exc})", line=line) from None
    if not isinstance(obj, dict):
        raise InputError(f"{ENTRIES} line {line} is not a JSON object", line=line)
    index = obj.get("index")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise VerificationError(f"line {line}: no valid index field", line=line)
    unknown = set(obj).difference(_ENTRY_FIELDS)
    if unknown:
        raise VerificationError(
            f"line {line}: entry {index} has unknown fields {sorted(unknown)}", index, line
        )
    leaf, hex_hash = obj.get("leaf"), obj.get("leaf_hash")
    if (leaf is None) == (hex_hash is None):
        raise VerificationError(
            f"line {line}: entry {index} needs exactly one of leaf and leaf_hash", index, line
        )
    if leaf is not None and not isinstance(leaf, str):
        raise VerificationError(f"line {line}: entry {index}: leaf is not a string", index, line)
    leaf_hash = None
    if hex_hash is not None:
        leaf_hash = _parse_hex_hash(hex_hash)
        if leaf_hash is None:
            raise VerificationError(
                f"line {line}: entry {index}: leaf_hash is not {HASH_SIZE} bytes of hex",
                index,
                line,
            )
    inclusion = None
    if "inclusion" in obj:
        inclusion = _parse_hash_list(obj["inclusion"])
        if inclusion is None:
            raise VerificationError(
                f"line {line}: entry {index}: inclusion is not a list of hex hashes", index, line
            )
    return _Entry(index, leaf, leaf_hash, inclusion)


class _Failure(NamedTuple):
    """A VerificationError carried across processes."""

    message: str
    index: int | None
    line: int | None
    unusable: bool

    @classmethod
    def of(cls, exc: VerificationError) -> _Failure:
        return cls(exc.message, exc.index, exc.line, isinstance(exc, InputError))

    def error(self) -> VerificationError:
        kind = InputError if self.unusable else VerificationError
        return kind(self.message, self.index, self.line)


class _Stamp(NamedTuple):
    """An entry's time, where it was seen and its parsed value."""

    index: int
    line: int
    text: str
    value: datetime


def _backwards(new: _Stamp, old: _Stamp) -> VerificationError:
    return VerificationError(
        f"line {new.line}: entry {new.index}: time goes backwards ({new.text} is before "
        f"{old.text} of entry {old.index})",
        new.index,
        new.line,
    )


class _Job(NamedTuple):
    first_line: int
    start: int  # expected index of the first line; a multiple of CHUNK
    limit: int  # the final tree size: no index may reach it
    lines: list[str] | list[bytes]
    sizes: tuple[int, ...]  # checkpoint tree sizes within (start, start + len(lines)]


class _ChunkResult(NamedTuple):
    count: int  # entries that passed, from the start of the chunk
    hashes: list[bytes]  # hashes of range_nodes(start, start + count)
    snapshots: dict[int, list[bytes]]  # the same at each checkpoint size reached
    first_time: _Stamp | None
    last_time: _Stamp | None
    pruned: int
    failure: _Failure | None


def _check_chunk(job: _Job) -> _ChunkResult:
    """Check a run of full-export lines and fold their leaf hashes (runs in worker processes)."""
    stack: list[bytes] = []
    pop, push, sha = stack.pop, stack.append, hashlib.sha256
    snapshots: dict[int, list[bytes]] = {}
    sizes = iter(job.sizes)
    next_size = next(sizes, -1)
    fast_line, scan = _FAST_LINE.match, scanstring
    first_time: _Stamp | None = None
    last_text, last_value, last_index, last_line = None, None, -1, -1
    pruned = count = 0
    try:
        for count, text in enumerate(job.lines):
            line = job.first_line + count
            expected = job.start + count
            # Fast path for the usual line {"index": i, "leaf": "..."}; anything else in full.
            leaf = None
            if type(text) is bytes:
                try:
                    text = text.decode()
                except UnicodeDecodeError:
                    raise InputError(f"{ENTRIES} line {line} is not UTF-8", line=line) from None
            m = fast_line(text)
            if m is not None:
                try:
                    leaf, end = scan(text, m.end())
                except ValueError:
                    leaf = None
                else:
                    if text[end:] in ("}\n", "}"):
                        index = int(m.group(1))
                    else:
                        leaf = None
            if leaf is None:
                index, leaf, h, inclusion = _parse_line(text, line)
            else:
                inclusion = None
            if index != expected:
                why = "missing" if index > expected else "repeated"
                raise VerificationError(
                    f"line {line}: entry {index}: expected index {expected} (a line is {why} "
                    "or out of order)",
                    index,
                    line,
                )
            if index >= job.limit:
                raise VerificationError(
                    f"line {line}: entry {index} is beyond the signed tree head of size "
                    f"{job.limit}",
                    index,
                    line,
                )
            if inclusion is not None:
                raise VerificationError(
                    f"line {line}: entry {index} has an inclusion proof but the export is full "
                    "(the first line has none)",
                    index,
                    line,
                )
            if leaf is None:
                pruned += 1
            else:
                h, time = verify_leaf(leaf, index, line)
                if time is not None and time != last_text:
                    try:
                        value = _time_value(time)
                    except ValueError as exc:
                        raise VerificationError(
                            f"line {line}: entry {index}: time {exc}", index, line
                        ) from None
                    if last_text is None:
                        first_time = _Stamp(index, line, time, value)
                    elif value < last_value:
                        raise _backwards(
                            _Stamp(index, line, time, value),
                            _Stamp(last_index, last_line, last_text, last_value),
                        )
                    last_text, last_value, last_index, last_line = time, value, index, line
            c = count
            while c & 1:
                h = sha(b"\x01" + pop() + h).digest()
                c >>= 1
            push(h)
            if expected + 1 == next_size:
                snapshots[next_size] = list(stack)
                next_size = next(sizes, -1)
        else:
            count = len(job.lines)
    except VerificationError as exc:
        failure = _Failure.of(exc)
    else:
        failure = None
    last_time = None
    if last_text is not None:
        last_time = _Stamp(last_index, last_line, last_text, last_value)
    return _ChunkResult(count, stack, snapshots, first_time, last_time, pruned, failure)


def _chunk_results(jobs: Iterator[_Job], workers: int) -> Iterator[_ChunkResult]:
    """Run the jobs in order, in this process or in a bounded window of worker processes."""
    first = next(jobs, None)
    if first is None:
        return
    second = next(jobs, None)
    if workers <= 1 or second is None:
        for job in itertools.chain([first], [] if second is None else [second], jobs):
            yield _check_chunk(job)
        return
    executor = ProcessPoolExecutor(workers)
    try:
        window: deque = deque()
        for job in itertools.chain([first, second], jobs):
            window.append(executor.submit(_check_chunk, job))
            if len(window) >= 2 * workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


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


# -- files and command line -------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def _parse_json(data: bytes, source: str) -> Any:
    try:
        return json.loads(data)
    except ValueError as exc:
        raise InputError(f"{source} is not valid JSON ({exc})") from None


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


def _default_jobs() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


def main(argv: list[str] | None = None) -> int:
    """``sceau-verify DIR [--previous FILE] [--jobs N]``: 0 verified, 1 failed, 2 unusable."""
    parser = argparse.ArgumentParser(
        prog="sceau-verify",
        description="Vérifie un export du journal Sceau (RFC 9162) / "
        "verify an export of the Sceau journal.",
    )
    parser.add_argument("directory", type=Path, nargs="?", help="export directory")
    parser.add_argument(
        "--bundle", type=Path, metavar="FILE.zip", help="an evidence bundle of a dossier"
    )
    parser.add_argument(
        "--previous",
        type=Path,
        metavar="OLD-TREE-HEAD.json",
        help="an older signed tree head that this export must extend",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=_default_jobs(),
        metavar="N",
        help="processes checking entries (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if (args.directory is None) == (args.bundle is None):
        parser.error("give an export directory or --bundle FILE.zip")
    try:
        if args.bundle is not None:
            from sceau.journal.bundle import verify_bundle

            report = verify_bundle(args.bundle)
        else:
            report = verify_export(args.directory, args.previous, jobs=args.jobs)
    except InputError as exc:
        print(f"sceau-verify: {exc.message}", file=sys.stderr)
        return 2
    except VerificationError as exc:
        print(f"ÉCHEC / FAILED: {exc.message}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
