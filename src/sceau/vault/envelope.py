"""Streaming authenticated encryption of documents (format "SCEAUv1").

A document is encrypted with its own random 256-bit data key (DEK) using AES-256-GCM, split
into chunks so that arbitrarily large documents are encrypted and decrypted in bounded memory,
in the manner of Tink's streaming AEAD. Every chunk is authenticated on its own, and its position
and finality are bound into its nonce, so that a flipped bit, a truncation, reordered chunks, a
chunk taken from another blob, or data appended after the end are all detected.

Byte format (all integers big-endian)::

    blob   = header || chunk_0 || chunk_1 || ... || chunk_n      (n >= 0)
    header = magic || chunk_size || nonce_prefix                  (19 bytes)
        magic        8 bytes  b"SCEAUv1\\x00"
        chunk_size   4 bytes  unsigned, plaintext bytes per chunk (1 .. 2**26)
        nonce_prefix 7 bytes  random, drawn once per blob
    chunk_i = AES-256-GCM-Encrypt(key=DEK, nonce=nonce_i, plaintext=P_i, aad=header)
              (ciphertext of len(P_i) bytes followed by the 16-byte tag)
    nonce_i = nonce_prefix || i (4 bytes) || last_i (1 byte)      (12 bytes)
        last_i = 0x01 for the final chunk (i == n), 0x00 otherwise

The plaintext is cut into P_0 .. P_n: every non-final chunk holds exactly ``chunk_size`` bytes,
the final chunk holds 0 .. ``chunk_size`` bytes. The final chunk is always present, so an empty
document is a header followed by one 16-byte chunk. The encoder in this module produces
n = max(1, ceil(size / chunk_size)) - 1, so a document whose size is a multiple of
``chunk_size`` ends with a full final chunk; see :func:`ciphertext_size`.

Decoding: read the header, check the magic and that chunk_size is within 1 .. 2**26. Every
stored non-final chunk is exactly ``chunk_size + 16`` bytes, so a reader takes the next
``chunk_size + 16`` bytes as a non-final chunk whenever at least one more byte follows them;
otherwise the remaining 16 .. ``chunk_size + 16`` bytes are the final chunk (fewer than 16 is a
truncation). A decoder must release the plaintext of a chunk only after its tag has been
verified. At most 2**32 chunks are allowed per blob.

The DEK is never stored in clear: see :mod:`sceau.vault.keyring` (it is wrapped by a key
encryption key). Since the DEK is fresh for each blob, only one stream is ever encrypted under a
key; the random nonce prefix is defence in depth should a key ever be reused.
"""

from __future__ import annotations

import hashlib
import secrets
import struct
from collections.abc import Iterable, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import IntegrityError

MAGIC = b"SCEAUv1\x00"
NONCE_PREFIX_SIZE = 7
HEADER_SIZE = len(MAGIC) + 4 + NONCE_PREFIX_SIZE
TAG_SIZE = 16
KEY_SIZE = 32
CHUNK_SIZE = 1 << 20
MAX_CHUNK_SIZE = 1 << 26
MAX_CHUNKS = 1 << 32

_NONCE_SUFFIX = struct.Struct(">IB")

__all__ = [
    "CHUNK_SIZE",
    "HEADER_SIZE",
    "MAGIC",
    "TAG_SIZE",
    "Encryptor",
    "ciphertext_size",
    "decrypt_stream",
    "new_data_key",
]


def new_data_key() -> bytes:
    """Return a fresh random 256-bit data key."""
    return secrets.token_bytes(KEY_SIZE)


def ciphertext_size(plaintext_size: int, chunk_size: int = CHUNK_SIZE) -> int:
    """Return the size of the blob :class:`Encryptor` produces for ``plaintext_size`` bytes."""
    if plaintext_size < 0:
        raise ValueError("plaintext_size must be >= 0")
    _check_chunk_size(chunk_size)
    chunks = max(1, -(-plaintext_size // chunk_size))
    return HEADER_SIZE + plaintext_size + chunks * TAG_SIZE


def _check_chunk_size(chunk_size: int) -> None:
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk_size must be between 1 and {MAX_CHUNK_SIZE}")


def _check_key(dek: bytes) -> None:
    if len(dek) != KEY_SIZE:
        raise ValueError(f"data key must be {KEY_SIZE} bytes")


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + _NONCE_SUFFIX.pack(index, 1 if last else 0)


def _bytes_view(data: bytes) -> memoryview:
    view = memoryview(data)
    return view if view.format == "B" and view.ndim == 1 else view.cast("B")


class Encryptor:
    """Incremental encryptor: write ``header``, then every ``update()`` output, then ``finalize()``.

    While encrypting it also counts the plaintext (``plaintext_size``) and hashes it
    (``sha256``, a hashlib object), in the same pass, as data arrives.
    """

    def __init__(self, dek: bytes, chunk_size: int = CHUNK_SIZE) -> None:
        _check_key(dek)
        _check_chunk_size(chunk_size)
        self._aead = AESGCM(dek)
        self._chunk_size = chunk_size
        self._prefix = secrets.token_bytes(NONCE_PREFIX_SIZE)
        self.header: bytes = MAGIC + chunk_size.to_bytes(4, "big") + self._prefix
        self._buf = bytearray(chunk_size)
        self._view = memoryview(self._buf)
        self._fill = 0
        self._index = 0
        self._done = False
        self.plaintext_size: int = 0
        self.sha256 = hashlib.sha256()

    @property
    def chunk_size(self) -> int:
        """Plaintext bytes per chunk."""
        return self._chunk_size

    def update(self, data: bytes) -> bytes:
        """Take more plaintext; return the encrypted chunks now complete (possibly ``b""``)."""
        if self._done:
            raise RuntimeError("encryptor already finalized")
        src = _bytes_view(data)
        n = src.nbytes
        if not n:
            return b""
        self.sha256.update(src)
        self.plaintext_size += n
        cs = self._chunk_size
        fill = self._fill
        if fill + n <= cs:
            # Not more than a chunk yet: it may still be the final one, keep it.
            self._view[fill : fill + n] = src
            self._fill = fill + n
            return b""
        out: list[bytes] = []
        pos = 0
        if fill:
            # Complete the pending chunk; more data follows it, so it is not final.
            pos = cs - fill
            self._view[fill:cs] = src[:pos]
            out.append(self._seal(self._view, last=False))
        while n - pos > cs:
            # Whole chunks straight from the input, without copying them into the buffer.
            out.append(self._seal(src[pos : pos + cs], last=False))
            pos += cs
        rest = n - pos
        self._view[:rest] = src[pos:]
        self._fill = rest
        return out[0] if len(out) == 1 else b"".join(out)

    def finalize(self) -> bytes:
        """Return the final chunk; the encryptor cannot be used afterwards."""
        if self._done:
            raise RuntimeError("encryptor already finalized")
        last = self._seal(self._view[: self._fill], last=True)
        self._done = True
        self._view.release()
        self._buf = bytearray()
        return last

    def _seal(self, plaintext: memoryview, last: bool) -> bytes:
        if self._index >= MAX_CHUNKS:
            raise ValueError("too many chunks for one blob: use a larger chunk size")
        nonce = _nonce(self._prefix, self._index, last)
        self._index += 1
        return self._aead.encrypt(nonce, plaintext, self.header)


_EMPTY = memoryview(b"")


def _pull(pieces: Iterator[bytes]) -> tuple[memoryview, bool]:
    """Next piece as a byte view, and whether the source is exhausted."""
    piece = next(pieces, None)
    if piece is None:
        return _EMPTY, True
    return _bytes_view(piece), False


def _open_chunk(
    aead: AESGCM, prefix: bytes, header: bytes, index: int, data: memoryview, last: bool
) -> bytes:
    try:
        return aead.decrypt(_nonce(prefix, index, last), data, header)
    except InvalidTag:
        pass
    # Error path only: tell truncation and trailing data apart from corruption, for the logs.
    try:
        aead.decrypt(_nonce(prefix, index, not last), data, header)
    except InvalidTag:
        raise IntegrityError(detail=f"chunk {index} failed authentication") from None
    if last:
        raise IntegrityError(detail=f"stream truncated after chunk {index}")
    raise IntegrityError(detail=f"trailing data after final chunk {index}")


def decrypt_stream(dek: bytes, source: Iterable[bytes]) -> Iterator[bytes]:
    """Decrypt a blob given as pieces of any size; yield its plaintext chunk by chunk.

    Raises :class:`IntegrityError` (``detail`` says what, in English) as soon as something is
    wrong; no plaintext is yielded before its chunk is authenticated. Memory stays bounded by
    about two chunks, whatever the size of the pieces.
    """
    _check_key(dek)
    aead = AESGCM(dek)
    pieces = iter(source)

    head = bytearray()
    pending = _EMPTY
    while len(head) < HEADER_SIZE:
        pending, exhausted = _pull(pieces)
        if exhausted:
            raise IntegrityError(detail=f"stream truncated inside header ({len(head)} bytes)")
        take = HEADER_SIZE - len(head)
        head += pending[:take]
        pending = pending[take:]
    header = bytes(head)
    if header[: len(MAGIC)] != MAGIC:
        raise IntegrityError(detail="bad magic")
    chunk_size = int.from_bytes(header[len(MAGIC) : len(MAGIC) + 4], "big")
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise IntegrityError(detail=f"chunk size {chunk_size} out of range")
    prefix = header[len(MAGIC) + 4 :]

    record = chunk_size + TAG_SIZE
    # One stored chunk plus one byte of look-ahead, which tells whether the chunk is final.
    buf = bytearray(record + 1)
    view = memoryview(buf)
    fill = 0
    index = 0
    exhausted = False
    while True:
        if index >= MAX_CHUNKS:
            raise IntegrityError(detail="too many chunks")
        if fill == 0 and pending.nbytes > record:
            # Fast path: a whole non-final chunk is already in the current piece.
            plain = _open_chunk(aead, prefix, header, index, pending[:record], last=False)
            pending = pending[record:]
            index += 1
            yield plain
            continue
        while fill <= record:
            if not pending.nbytes:
                if exhausted:
                    break
                pending = _EMPTY  # drop the spent piece before reading the next one
                pending, exhausted = _pull(pieces)
                continue
            take = min(pending.nbytes, record + 1 - fill)
            view[fill : fill + take] = pending[:take]
            pending = pending[take:]
            fill += take
        if fill > record:
            plain = _open_chunk(aead, prefix, header, index, view[:record], last=False)
            buf[0] = buf[record]
            fill = 1
            index += 1
            yield plain
            continue
        if fill < TAG_SIZE:
            where = f"after chunk {index - 1}" if index else "before the first chunk"
            raise IntegrityError(detail=f"stream truncated {where}")
        yield _open_chunk(aead, prefix, header, index, view[:fill], last=True)
        return
