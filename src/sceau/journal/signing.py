"""The Ed25519 keys that sign tree heads, kept in a keyring file of the data directory.

The keyring format and its safety (0600, atomic writes, lock between processes, rotation that
keeps old keys) are the vault's ``FileKeyring``, which the vault registers here in its
``AppConfig.ready()`` (the journal sits below the vault and imports nothing of it); a 32-byte
random key is an Ed25519 seed.
A key's public id is derived from the public key itself (``verifier.key_id``), so a third
party can match a tree head to a key in ``public-keys.pem`` without trusting a label.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from sceau.journal.verifier import key_id as public_key_id
from sceau.journal.verifier import tree_head_message


class KeyStore(Protocol):
    """What the journal needs of a keyring: named 32-byte keys, one current, rotation."""

    def current_key_id(self) -> str: ...
    def key_ids(self) -> list[str]: ...
    def raw_key(self, key_id: str) -> bytes: ...
    def rotate(self) -> str: ...


_store_factory: list[Callable[[Path], KeyStore]] = []


def register_key_store(factory: Callable[[Path], KeyStore]) -> None:
    """Set how the signing keyring file is opened (the vault's ``FileKeyring``)."""
    _store_factory[:] = [factory]
    reset()


@functools.cache
def _keyring() -> KeyStore:
    if not _store_factory:
        raise RuntimeError("no key store registered for the journal's signing keys")
    return _store_factory[0](settings.CONFIG.data_dir / "keys" / "journal-signing.json")


def reset() -> None:
    _keyring.cache_clear()


def _private(label: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_keyring().raw_key(label))


def current() -> tuple[str, Ed25519PrivateKey]:
    """(public key id, private key) of the key that signs new tree heads."""
    key = _private(_keyring().current_key_id())
    return public_key_id(key.public_key()), key


def private_keys() -> dict[str, Ed25519PrivateKey]:
    """Every signing key ever used, current and retired, by public key id."""
    keys = {}
    for label in _keyring().key_ids():
        private = _private(label)
        keys[public_key_id(private.public_key())] = private
    return keys


def public_keys() -> dict[str, Ed25519PublicKey]:
    """Every signing key ever used, current and retired, by public key id."""
    return {key_id: key.public_key() for key_id, key in private_keys().items()}


def public_keys_pem() -> str:
    return "".join(
        key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        for key in public_keys().values()
    )


def rotate() -> str:
    _keyring().rotate()
    return current()[0]


def sign_tree_head(
    private_key: Ed25519PrivateKey, tree_size: int, root_hash: bytes, timestamp: str
) -> dict[str, Any]:
    """A signed tree head as written in ``tree-head.json`` (what ``sceau-verify`` checks)."""
    fields: dict[str, Any] = {
        "tree_size": tree_size,
        "root_hash": root_hash.hex(),
        "timestamp": timestamp,
        "key_id": public_key_id(private_key.public_key()),
    }
    signature = private_key.sign(tree_head_message(fields))
    return {**fields, "signature": base64.b64encode(signature).decode("ascii")}
