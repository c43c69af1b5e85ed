"""Key-encryption keys (KEK): they wrap the per-document data keys.

A wrapped key is ``nonce (12 random bytes) || AES-256-GCM(KEK, nonce, dek, aad=context)``; the
context (the blob name) binds a wrapped key to its blob, so it cannot be moved to another one.

:class:`FileKeyring` keeps the KEKs in a JSON file, readable by its owner only::

    {"version": 1, "current": "<id>",
     "keys": {"<id>": {"created": "<RFC 3339 UTC>", "key": "<base64 of 32 bytes>"}}}

Rotation adds a new current key; older keys stay for unwrapping until every document has been
rewrapped (see :meth:`FileKeyring.rewrap`).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import os
import secrets
import stat
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import IntegrityError, KeyNotFound, KeyringError

WRAP_NONCE_SIZE = 12
KEK_SIZE = 32
FORMAT_VERSION = 1

__all__ = ["FileKeyring", "KeySource", "new_key_id"]


class KeySource(Protocol):
    """Where key-encryption keys live and how data keys are wrapped with them."""

    def current_key_id(self) -> str:
        """Id of the key new data keys are wrapped with."""
        ...

    def wrap(self, dek: bytes, context: bytes) -> tuple[str, bytes]:
        """Wrap ``dek`` with the current key; return (key id, wrapped bytes)."""
        ...

    def unwrap(self, key_id: str, wrapped: bytes, context: bytes) -> bytes:
        """Return the data key; raise KeyNotFound or IntegrityError."""
        ...

    def rotate(self) -> str:
        """Create a new current key (old ones are kept for unwrapping); return its id."""
        ...

    def key_ids(self) -> list[str]:
        """Ids of every key, oldest first."""
        ...


def new_key_id(now: datetime | None = None) -> str:
    """Return a key id like ``kek-20261129-ab12cd34`` (UTC date and 8 random hex digits)."""
    now = now or datetime.now(UTC)
    return f"kek-{now:%Y%m%d}-{secrets.token_hex(4)}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileKeyring:
    """Key-encryption keys in a JSON file (mode 0600, directory 0700), created on first use.

    Writes are atomic (temporary file, fsync, rename) and serialised between processes with an
    ``fcntl`` lock on ``<file>.lock``; other processes' changes are picked up automatically.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self._mutex = threading.RLock()
        self._stamp: tuple[int, int, int] | None = None
        self._current = ""
        self._keys: dict[str, bytes] = {}
        self._aeads: dict[str, AESGCM] = {}

    # -- KeySource ---------------------------------------------------------------------------

    def current_key_id(self) -> str:
        """Id of the key new data keys are wrapped with."""
        with self._mutex:
            self._refresh()
            return self._current

    def wrap(self, dek: bytes, context: bytes) -> tuple[str, bytes]:
        """Wrap ``dek`` with the current key, bound to ``context``; return (key id, wrapped)."""
        with self._mutex:
            self._refresh()
            key_id = self._current
            aead = self._aead(key_id)
        nonce = secrets.token_bytes(WRAP_NONCE_SIZE)
        return key_id, nonce + aead.encrypt(nonce, dek, context)

    def unwrap(self, key_id: str, wrapped: bytes, context: bytes) -> bytes:
        """Return the data key wrapped by ``wrap``; KeyNotFound or IntegrityError otherwise."""
        with self._mutex:
            self._refresh()
            if key_id not in self._keys:
                self._refresh(force=True)  # rotated by another process?
            if key_id not in self._keys:
                raise KeyNotFound(detail=f"unknown key id {key_id!r} in {self.path}")
            aead = self._aead(key_id)
        if len(wrapped) < WRAP_NONCE_SIZE + 16:
            raise IntegrityError(detail=f"wrapped key too short ({len(wrapped)} bytes)")
        try:
            return aead.decrypt(wrapped[:WRAP_NONCE_SIZE], wrapped[WRAP_NONCE_SIZE:], context)
        except InvalidTag:
            raise IntegrityError(detail=f"unwrapping with {key_id} failed") from None

    def rotate(self) -> str:
        """Add a new key and make it current; return its id. Old keys stay usable."""
        with self._mutex, self._locked():
            return self._rotate_locked()

    def key_ids(self) -> list[str]:
        """Ids of every key, oldest first."""
        with self._mutex:
            self._refresh()
            return list(self._keys)

    def raw_key(self, key_id: str) -> bytes:
        """The 32 secret bytes of one key, for keyrings of signing seeds (the journal's)."""
        with self._mutex:
            self._refresh()
            if key_id not in self._keys:
                self._refresh(force=True)
            if key_id not in self._keys:
                raise KeyNotFound(detail=f"unknown key id {key_id!r} in {self.path}")
            return self._keys[key_id]

    def rewrap(self, key_id: str, wrapped: bytes, context: bytes) -> tuple[str, bytes]:
        """Unwrap with the old key and wrap again with the current one."""
        dek = self.unwrap(key_id, wrapped, context)
        return self.wrap(dek, context)

    # -- internals -----------------------------------------------------------------------------

    def _rotate_locked(self) -> str:
        """Rotate; the caller holds the file lock."""
        doc = self._read() if self.path.exists() else None
        if doc is None:
            doc = {"version": FORMAT_VERSION, "current": "", "keys": {}}
        key_id = new_key_id()
        while key_id in doc["keys"]:
            key_id = new_key_id()
        doc["keys"][key_id] = {
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "key": base64.b64encode(secrets.token_bytes(KEK_SIZE)).decode("ascii"),
        }
        doc["current"] = key_id
        self._write(doc)
        self._refresh(force=True)
        return key_id

    def _aead(self, key_id: str) -> AESGCM:
        aead = self._aeads.get(key_id)
        if aead is None:
            aead = self._aeads[key_id] = AESGCM(self._keys[key_id])
        return aead

    def _ensure_dir(self) -> None:
        parent = self.path.parent
        if not parent.is_dir():
            parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(parent, 0o700)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._ensure_dir()
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _refresh(self, force: bool = False) -> None:
        """Load the file if it changed since last time; create it if it does not exist."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            with self._locked():
                if not self.path.exists():
                    self._rotate_locked()
                    return
            st = os.stat(self.path)
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if force or stamp != self._stamp:
            self._load()

    def _load(self) -> None:
        doc = self._read()
        keys: dict[str, bytes] = {}
        for key_id, entry in doc["keys"].items():
            try:
                key = base64.b64decode(entry["key"], validate=True)
            except (KeyError, TypeError, binascii.Error):
                raise self._corrupt(f"key {key_id} is not valid base64") from None
            if len(key) != KEK_SIZE:
                raise self._corrupt(f"key {key_id} is not {KEK_SIZE} bytes")
            keys[key_id] = key
        if doc["current"] not in keys:
            raise self._corrupt("current key id not among keys")
        self._keys = keys
        self._aeads = {}
        self._current = doc["current"]

    def _read(self) -> dict[str, Any]:
        fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            mode = stat.S_IMODE(st.st_mode)
            if mode & 0o077:
                raise KeyringError(
                    f"Le trousseau de clés {self.path} est accessible à d'autres utilisateurs "
                    f"(droits {mode:04o}) : il a été refusé. Restreignez ses droits avec "
                    f"« chmod 600 {self.path} », puis relancez Sceau.",
                    detail=f"keyring mode {mode:04o} allows group/other access",
                )
            raw = fh.read()
            self._stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        try:
            doc = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise self._corrupt("not valid JSON") from None
        if (
            not isinstance(doc, dict)
            or doc.get("version") != FORMAT_VERSION
            or not isinstance(doc.get("keys"), dict)
            or not isinstance(doc.get("current"), str)
        ):
            raise self._corrupt("unexpected structure or version")
        return doc

    def _write(self, doc: dict[str, Any]) -> None:
        data = (json.dumps(doc, indent=2) + "\n").encode("utf-8")
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".keyring-", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        _fsync_dir(self.path.parent)

    def _corrupt(self, detail: str) -> KeyringError:
        return KeyringError(
            f"Le trousseau de clés {self.path} est illisible ou corrompu : Sceau ne peut pas "
            "ouvrir les documents. Restaurez ce fichier depuis la dernière sauvegarde, puis "
            "relancez Sceau.",
            detail=f"keyring {self.path}: {detail}",
        )
