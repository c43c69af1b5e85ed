"""Signed tree heads, their Ed25519 keys and consistency proofs, as an export holds them."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sceau.journal.canonical import canonical_json
from sceau.journal.merkle import (
    HASH_SIZE,
)

from .errors import InputError, VerificationError

ENTRIES = "entries.jsonl"
TREE_HEAD = "tree-head.json"
TREE_HEADS = "tree-heads.jsonl"
PUBLIC_KEYS = "public-keys.pem"
CONSISTENCY = "consistency.json"


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
