"""Signed tree heads in the ecosystem's format: C2SP tlog-checkpoint as a C2SP signed note.

A checkpoint is the text ``<origin>\\n<size>\\n<base64 root hash>\\n`` (optionally followed by
extension lines), signed as a note: a blank line, then one line per signature,
``— <key name> <base64(key hash (4 bytes) || Ed25519 signature (64 bytes))>``. The verifier key
of a signer is published as ``<name>+<hex key hash>+<base64(0x01 || public key)>``; the key hash
is the first four bytes of SHA-256(name || "\\n" || 0x01 || public key). These are the formats
of c2sp.org/tlog-checkpoint and c2sp.org/signed-note, read by Go's golang.org/x/mod/sumdb/note,
so anyone can check Sceau's heads with tools nobody here wrote.

Django-free: the transparency service and ``sceau-verify`` both use it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = b"\x01"  # signed-note signature type of Ed25519
COSIGNATURE = b"\x04"  # c2sp.org/tlog-cosignature: a witness's timestamped Ed25519 cosignature
DASH = "\u2014"  # the em dash that starts a signature line
MAX_NOTE_BYTES = 1_000_000


class CheckpointError(ValueError):
    """A note or checkpoint that cannot be trusted; the message says why."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        if not self.origin or "\n" in self.origin:
            raise CheckpointError("the origin must be one non-empty line")
        if len(self.root_hash) != 32 or self.size < 0:
            raise CheckpointError("a checkpoint needs a size >= 0 and a 32-byte root hash")
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode()]
        for extension in self.extensions:
            if not extension or "\n" in extension:
                raise CheckpointError("an extension is one non-empty line")
            lines.append(extension)
        return "".join(line + "\n" for line in lines)


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _check_name(name: str) -> None:
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise CheckpointError(f"key name {name!r} must be non-empty, without spaces or '+'")


def key_hash(name: str, public_key: Ed25519PublicKey, kind: bytes = ED25519) -> bytes:
    """The 4-byte key hash that names a key in signature lines (``kind``: the type byte)."""
    _check_name(name)
    return hashlib.sha256(name.encode() + b"\n" + kind + _raw_public(public_key)).digest()[:4]


def verifier_key(name: str, public_key: Ed25519PublicKey, kind: bytes = ED25519) -> str:
    """The verifier key in note format: ``name+hash+base64key`` (a log's key by default, a
    witness's cosignature key with ``kind=COSIGNATURE``)."""
    encoded = base64.b64encode(kind + _raw_public(public_key)).decode()
    return f"{name}+{key_hash(name, public_key, kind).hex()}+{encoded}"


@dataclass(frozen=True)
class VerifierKey:
    name: str
    hash: bytes
    public_key: Ed25519PublicKey
    kind: bytes  # ED25519 (a log's signature) or COSIGNATURE (a witness's)


def parse_verifier_key(vkey: str) -> tuple[str, bytes, Ed25519PublicKey]:
    """(name, key hash, public key) of a log's verifier key; the hash must match the key."""
    key = parse_any_verifier_key(vkey)
    if key.kind != ED25519:
        raise CheckpointError("the verifier key is not an Ed25519 key")
    return key.name, key.hash, key.public_key


def parse_any_verifier_key(vkey: str) -> VerifierKey:
    """A log's (type 0x01) or a witness's (type 0x04) verifier key."""
    parts = vkey.strip().split("+", 2)  # the base64 key may itself hold "+"
    if len(parts) != 3:
        raise CheckpointError("a verifier key is name+hash+base64key")
    name, hash_hex, encoded = parts
    try:
        raw = base64.b64decode(encoded, validate=True)
        claimed = bytes.fromhex(hash_hex)
    except (binascii.Error, ValueError):
        raise CheckpointError("the verifier key is not hex and base64") from None
    if len(claimed) != 4 or len(raw) != 33 or raw[:1] not in (ED25519, COSIGNATURE):
        raise CheckpointError("the verifier key is not an Ed25519 key")
    public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    if claimed != key_hash(name, public_key, raw[:1]):
        raise CheckpointError("the verifier key's hash does not match its key")
    return VerifierKey(name, claimed, public_key, raw[:1])


def sign_note(body: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed note: the body, a blank line, one signature line."""
    if not body.endswith("\n"):
        raise CheckpointError("a note's text ends with a newline")
    signature = private_key.sign(body.encode())
    tag = key_hash(name, private_key.public_key())
    return f"{body}\n{DASH} {name} {base64.b64encode(tag + signature).decode()}\n"


def cosignature_message(body: str, timestamp: int) -> bytes:
    """What a witness signs (c2sp.org/tlog-cosignature): a header, the time, the checkpoint."""
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosign(body: str, name: str, private_key: Ed25519PrivateKey, timestamp: int) -> str:
    """A witness's cosignature line over a checkpoint body, at ``timestamp`` (Unix seconds)."""
    signature = private_key.sign(cosignature_message(body, timestamp))
    tag = key_hash(name, private_key.public_key(), COSIGNATURE)
    blob = tag + timestamp.to_bytes(8, "big") + signature
    return f"{DASH} {name} {base64.b64encode(blob).decode()}\n"


def signature_lines(note: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """(body, [(key name, key hash, signature)]) of a note, without checking signatures."""
    if len(note.encode()) > MAX_NOTE_BYTES:
        raise CheckpointError("the note is too large")
    body, sep, signatures = note.rpartition("\n\n")
    if not sep or not signatures.endswith("\n"):
        raise CheckpointError("not a signed note: no blank line before the signatures")
    found = []
    for line in signatures[:-1].split("\n"):
        prefix, _, rest = line.partition(" ")
        name, _, encoded = rest.partition(" ")
        if prefix != DASH or not name or not encoded:
            raise CheckpointError(f"malformed signature line {line[:80]!r}")
        try:
            blob = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise CheckpointError("a signature is not base64") from None
        if len(blob) < 5:
            raise CheckpointError("a signature is too short")
        found.append((name, blob[:4], blob[4:]))
    return body + "\n", found


def open_note(note: str, verifiers: Mapping[str, str] | list[str]) -> tuple[str, list[str]]:
    """Check a note against verifier keys; return (body, names of the keys that signed).

    Verifier keys are a log's (its signature over the body) or witnesses' (a timestamped
    cosignature, c2sp.org/tlog-cosignature). Every given verifier must have signed (a witness
    that is required and absent is an error); signatures of unknown keys are ignored, as
    signed-note says.
    """
    keys: dict[tuple[str, bytes], VerifierKey] = {}
    for vkey in verifiers.values() if isinstance(verifiers, Mapping) else verifiers:
        key = parse_any_verifier_key(vkey)
        keys[(key.name, key.hash)] = key
    body, lines = signature_lines(note)
    signed = []
    for name, tag, signature in lines:
        key = keys.get((name, tag))
        if key is None:
            continue
        if key.kind == COSIGNATURE:
            if len(signature) != 8 + 64:
                raise CheckpointError(f"the cosignature of {name} is malformed")
            message = cosignature_message(body, int.from_bytes(signature[:8], "big"))
            signature = signature[8:]
        else:
            message = body.encode()
        try:
            key.public_key.verify(signature, message)
        except InvalidSignature:
            raise CheckpointError(f"the signature of {name} does not verify") from None
        signed.append(name)
    missing = sorted({name for name, _ in keys} - set(signed))
    if missing:
        raise CheckpointError(f"not signed by {', '.join(missing)}")
    return body, signed


def cosignature_time(line: str) -> int:
    """The timestamp a cosignature line carries (Unix seconds)."""
    _, found = signature_lines("x\n\n" + line)
    if len(found) != 1 or len(found[0][2]) != 72:
        raise CheckpointError("not one cosignature line")
    return int.from_bytes(found[0][2][:8], "big")


def parse_checkpoint(body: str) -> Checkpoint:
    """The checkpoint in a note's text (origin, decimal size, base64 root, extensions)."""
    lines = body.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise CheckpointError("a checkpoint has an origin, a size and a root hash, one a line")
    origin, size_text, root_text, *extensions = lines[:-1]
    if (
        not size_text.isascii()
        or not size_text.isdigit()
        or (size_text.startswith("0") and size_text != "0")
    ):
        raise CheckpointError(f"the size {size_text[:30]!r} is not a decimal number")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error:
        raise CheckpointError("the root hash is not base64") from None
    if len(root) != 32:
        raise CheckpointError("the root hash is not 32 bytes")
    if not origin or any(not e for e in extensions):
        raise CheckpointError("empty line in a checkpoint")
    return Checkpoint(origin, int(size_text), root, tuple(extensions))
