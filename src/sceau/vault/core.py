"""The vault: seals documents into encrypted blobs and opens them again, streaming.

Depositing a document is one pass over its bytes: they are counted, hashed (SHA-256), checked
for format and encrypted with a fresh data key, then written to the blob store; plaintext never
touches the disk. The data key leaves the vault only wrapped by the keyring, bound to the blob
name. Opening decrypts chunk by chunk, recomputes the hash and the size, and refuses to deliver
the end of a document whose fingerprint does not match.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType

from .blobstores import BlobStore, check_blob_name, new_blob_name
from .envelope import CHUNK_SIZE, TAG_SIZE, Encryptor, decrypt_stream, new_data_key
from .errors import DocumentTooLarge, IntegrityError
from .formats import FormatSniffer
from .keyring import KeySource

__all__ = ["SealedBlob", "Sealing", "Vault"]


@dataclass(frozen=True)
class SealedBlob:
    """What must be recorded about a sealed document to open it again."""

    blob_name: str
    size: int
    sha256: str
    media_type: str
    key_id: str
    wrapped_key: bytes
    stored_size: int


class Vault:
    """Seals, opens, verifies and destroys documents kept encrypted in a blob store."""

    def __init__(
        self, store: BlobStore, keys: KeySource, max_bytes: int, chunk_size: int = CHUNK_SIZE
    ) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        self.store = store
        self.keys = keys
        self.max_bytes = max_bytes
        self.chunk_size = chunk_size

    def start(self) -> Sealing:
        """Begin a streaming deposit."""
        return Sealing(self)

    def seal(self, chunks: Iterable[bytes]) -> SealedBlob:
        """Seal a whole document given as pieces of any size."""
        with self.start() as sealing:
            for chunk in chunks:
                sealing.write(chunk)
            return sealing.finish()

    def open(
        self, blob_name: str, key_id: str, wrapped_key: bytes, sha256: str, size: int
    ) -> Iterator[bytes]:
        """Return an iterator over the plaintext of a sealed document.

        Key and blob problems (KeyNotFound, IntegrityError, BlobNotFound) are raised by this
        call; corruption found while streaming raises IntegrityError from the iterator, and the
        last chunk is delivered only after the size and SHA-256 have been checked.
        """
        check_blob_name(blob_name)
        dek = self.keys.unwrap(key_id, wrapped_key, blob_name.encode("ascii"))
        source = self.store.read(blob_name, chunk_size=4 * (self.chunk_size + TAG_SIZE))
        return _checked_plaintext(dek, source, blob_name, sha256.lower(), size)

    def verify(
        self, blob_name: str, key_id: str, wrapped_key: bytes, sha256: str, size: int
    ) -> None:
        """Decrypt and check a sealed document entirely without keeping it; raise if damaged."""
        for _ in self.open(blob_name, key_id, wrapped_key, sha256, size):
            pass

    def destroy(self, blob_name: str) -> None:
        """Delete a document's blob (no error if already gone)."""
        self.store.delete(blob_name)


def _checked_plaintext(
    dek: bytes, source: Iterator[bytes], blob_name: str, sha256: str, size: int
) -> Iterator[bytes]:
    digest = hashlib.sha256()
    count = 0
    held = b""
    try:
        for chunk in decrypt_stream(dek, source):
            count += len(chunk)
            if count > size:
                raise IntegrityError(detail=f"blob {blob_name} is longer than {size} bytes")
            digest.update(chunk)
            if held:
                yield held
            held = chunk
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
    if count != size:
        raise IntegrityError(detail=f"blob {blob_name} has {count} bytes, expected {size}")
    if not hmac.compare_digest(digest.hexdigest(), sha256):
        raise IntegrityError(detail=f"blob {blob_name} sha256 mismatch")
    if held:
        yield held


class Sealing:
    """A deposit in progress: ``write()`` the document's bytes, then ``finish()``.

    As a context manager, leaving the block before ``finish()`` aborts the deposit.
    """

    def __init__(self, vault: Vault) -> None:
        self._vault = vault
        self.blob_name = new_blob_name()
        self._dek = new_data_key()
        self._encryptor = Encryptor(self._dek, vault.chunk_size)
        self._sniffer = FormatSniffer()
        self._writer = vault.store.writer(self.blob_name)
        self._state = "open"
        self._stored = 0
        try:
            self._put(self._encryptor.header)
        except BaseException:
            self.abort()
            raise

    @property
    def size(self) -> int:
        """Plaintext bytes received so far."""
        return self._encryptor.plaintext_size

    def __enter__(self) -> Sealing:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.abort()

    def write(self, data: bytes) -> None:
        """Take the next piece; past the limit, abort the deposit and raise DocumentTooLarge."""
        self._check_open()
        n = memoryview(data).nbytes
        limit = self._vault.max_bytes
        if self._encryptor.plaintext_size + n > limit:
            self.abort()
            raise DocumentTooLarge(limit, detail=f"more than {limit} bytes received")
        try:
            self._sniffer.feed(data)
            self._put(self._encryptor.update(data))
        except BaseException:
            self.abort()
            raise

    def finish(self) -> SealedBlob:
        """Check the format, store the blob durably and return its record.

        UnsupportedFormat or EmptyDocument (or any failure) aborts the deposit: no blob remains.
        """
        self._check_open()
        try:
            last = self._encryptor.finalize()
            media_type = self._sniffer.finish()
            self._put(last)
            key_id, wrapped = self._vault.keys.wrap(self._dek, self.blob_name.encode("ascii"))
            self._writer.commit()
        except BaseException:
            self.abort()
            raise
        self._state = "finished"
        self._dek = b""
        return SealedBlob(
            blob_name=self.blob_name,
            size=self._encryptor.plaintext_size,
            sha256=self._encryptor.sha256.hexdigest(),
            media_type=media_type,
            key_id=key_id,
            wrapped_key=wrapped,
            stored_size=self._stored,
        )

    def abort(self) -> None:
        """Give up the deposit and remove anything stored; idempotent, no-op once finished."""
        if self._state != "open":
            return
        self._state = "aborted"
        self._dek = b""
        try:
            self._writer.abort()
        finally:
            # In case a failing commit had already made the blob visible. Never mask the
            # error that made us abort.
            with contextlib.suppress(Exception):
                self._vault.store.delete(self.blob_name)

    def _check_open(self) -> None:
        if self._state != "open":
            raise RuntimeError(f"deposit {self.blob_name} is {self._state}")

    def _put(self, data: bytes) -> None:
        if data:
            self._writer.write(data)
            self._stored += len(data)
