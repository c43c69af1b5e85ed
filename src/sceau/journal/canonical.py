"""Canonical JSON for journal leaves (RFC 8785 for the values Sceau writes).

Journal entries hold only strings, integers, booleans, null, lists and objects; no floats. For
those, RFC 8785 (JCS) reduces to: keys sorted by UTF-16 code units, no insignificant
whitespace, strings escaped minimally, UTF-8 output. This module has no Django import.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def _check(value: Any, path: str = "$") -> None:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int):
        if abs(value) > 2**53 - 1:
            raise ValueError(f"{path}: integer outside the I-JSON range")
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{path}: object keys must be strings")
            _check(item, f"{path}.{key}")
        return
    raise ValueError(f"{path}: {type(value).__name__} is not allowed in a journal leaf")


def _sort_key(key: str) -> bytes:
    # RFC 8785 sorts by UTF-16 code units; big-endian UTF-16 bytes compare the same way.
    return key.encode("utf-16-be")


def _normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _normalise(value[k]) for k in sorted(value, key=_sort_key)}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    """Serialise ``value`` as RFC 8785 canonical JSON text."""
    _check(value)
    return json.dumps(_normalise(value), ensure_ascii=False, separators=(",", ":"))


def leaf_hash(leaf: str) -> str:
    """RFC 9162 leaf hash, SHA-256(0x00 || leaf bytes), as lowercase hex."""
    return hashlib.sha256(b"\x00" + leaf.encode("utf-8")).hexdigest()
