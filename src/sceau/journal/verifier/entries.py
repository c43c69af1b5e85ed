"""One line of ``entries.jsonl`` and runs of lines: canonical leaves, indices, times, hashes.

The checks of a full export run by chunks, possibly in worker processes (``_check_chunk``).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from json.decoder import scanstring
from json.encoder import c_make_encoder, encode_basestring
from typing import Any, NamedTuple

from sceau.journal.canonical import canonical_json
from sceau.journal.merkle import (
    HASH_SIZE,
)

from .errors import InputError, VerificationError
from .heads import ENTRIES, _parse_hash_list, _parse_hex_hash, _time_value

_MAX_INT = 2**53 - 1
_ENTRY_FIELDS = frozenset({"index", "leaf", "leaf_hash", "inclusion"})


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
