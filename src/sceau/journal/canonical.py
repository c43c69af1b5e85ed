"""Canonical JSON for journal leaves (RFC 8785 for the values Sceau writes).

Journal entries hold only strings, integers, booleans, null, lists and objects; no floats. For
those, RFC 8785 (JCS) reduces to: keys sorted by UTF-16 code units, no insignificant
whitespace, strings escaped minimally, UTF-8 output. This module has no Django import.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

_MAX_INT = 2**53 - 1


def _check(value: Any, path: str = "$") -> bool:
    """Refuse what RFC 8785 data may not hold here; True if a key lies outside the BMP."""
    if value is None or isinstance(value, str | bool):
        return False
    if isinstance(value, int):
        if abs(value) > _MAX_INT:
            raise ValueError(f"{path}: integer outside the I-JSON range")
        return False
    if isinstance(value, list):
        astral = False
        for i, item in enumerate(value):
            astral |= _check(item, f"{path}[{i}]")
        return astral
    if isinstance(value, dict):
        astral = False
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{path}: object keys must be strings")
            astral |= not key.isascii() and any(ord(c) > 0xFFFF for c in key)
            astral |= _check(item, f"{path}.{key}")
        return astral
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
    if _check(value):  # only keys beyond U+FFFF sort differently from code-point order
        value = _normalise(value)
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def leaf_hash(leaf: str) -> str:
    """RFC 9162 leaf hash, SHA-256(0x00 || leaf bytes), as lowercase hex."""
    return hashlib.sha256(b"\x00" + leaf.encode("utf-8")).hexdigest()
