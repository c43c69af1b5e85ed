"""Streaming AEAD envelope: round trips and tamper detection."""

from __future__ import annotations

import hashlib
import itertools
import os
import struct
import tracemalloc

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sceau.vault.envelope import (
    CHUNK_SIZE,
    HEADER_SIZE,
    MAGIC,
    TAG_SIZE,
    Encryptor,
    ciphertext_size,
    decrypt_stream,
    new_data_key,
)
from sceau.vault.errors import IntegrityError

KEY = bytes(range(32))


def encrypt(data: bytes, chunk_size: int, key: bytes = KEY, feed: int = 7) -> bytes:
    enc = Encryptor(key, chunk_size)
    parts = [enc.header]
    for i in range(0, len(data), feed):
        parts.append(enc.update(data[i : i + feed]))
    parts.append(enc.finalize())
    return b"".join(parts)


def decrypt(blob: bytes, key: bytes = KEY, piece: int = 1 << 20) -> bytes:
    return b"".join(decrypt_stream(key, (blob[i : i + piece] for i in range(0, len(blob), piece))))


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


def chunks_of(blob: bytes, chunk_size: int) -> list[bytes]:
    body = blob[HEADER_SIZE:]
    rec = chunk_size + TAG_SIZE
    return [body[i : i + rec] for i in range(0, len(body), rec)]


def test_new_data_key_is_random_256_bits() -> None:
    keys = {new_data_key() for _ in range(10)}
    assert len(keys) == 10
    assert all(len(k) == 32 for k in keys)


def test_default_chunk_size_is_one_mebibyte() -> None:
    assert CHUNK_SIZE == 1 << 20
    assert Encryptor(KEY).chunk_size == CHUNK_SIZE


def test_header_layout() -> None:
    enc = Encryptor(KEY, 64)
    assert len(enc.header) == HEADER_SIZE == 19
    assert enc.header[:8] == MAGIC == b"SCEAUv1\x00"
    assert struct.unpack(">I", enc.header[8:12]) == (64,)
    assert Encryptor(KEY, 64).header[12:] != enc.header[12:]  # random nonce prefix


def test_format_is_reimplementable_from_the_docstring() -> None:
    """Decrypt by hand, following the documented format only."""
    data = os.urandom(100)
    blob = encrypt(data, 32)
    header, prefix = blob[:HEADER_SIZE], blob[12:HEADER_SIZE]
    chunks = chunks_of(blob, 32)
    assert len(chunks) == 4  # 32 + 32 + 32 + 4
    aead = AESGCM(KEY)
    out = b""
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        nonce = prefix + i.to_bytes(4, "big") + (b"\x01" if last else b"\x00")
        out += aead.decrypt(nonce, chunk, header)
    assert out == data


def test_empty_input_has_one_final_chunk() -> None:
    blob = encrypt(b"", 16)
    assert len(blob) == HEADER_SIZE + TAG_SIZE == ciphertext_size(0, 16)
    assert decrypt(blob) == b""


def test_exact_multiple_ends_with_full_final_chunk() -> None:
    blob = encrypt(b"x" * 64, 16)
    assert len(chunks_of(blob, 16)) == 4
    assert decrypt(blob) == b"x" * 64


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    chunk_size=st.sampled_from([16, 64]),
    data=st.data(),
)
def test_round_trip_any_size_any_split(chunk_size: int, data: st.DataObject) -> None:
    size = data.draw(st.integers(0, 3 * chunk_size + 5), label="size")
    plaintext = os.urandom(size)
    feed_cuts = data.draw(st.lists(st.integers(0, 10_000), max_size=12), label="feed cuts")
    enc = Encryptor(KEY, chunk_size)
    out = [enc.header]
    for piece in split(plaintext, feed_cuts):
        out.append(enc.update(piece))
    out.append(enc.finalize())
    blob = b"".join(out)
    assert len(blob) == ciphertext_size(size, chunk_size)
    assert enc.plaintext_size == size
    assert enc.sha256.hexdigest() == hashlib.sha256(plaintext).hexdigest()
    read_cuts = data.draw(st.lists(st.integers(0, 10_000), max_size=12), label="read cuts")
    assert b"".join(decrypt_stream(KEY, split(blob, read_cuts))) == plaintext


def test_update_accepts_memoryview_and_bytearray() -> None:
    data = bytearray(os.urandom(200))
    enc = Encryptor(KEY, 64)
    out = enc.header + enc.update(memoryview(data)[:50]) + enc.update(data[50:])
    out += enc.finalize()
    assert decrypt(out) == bytes(data)


def test_large_single_update_and_single_piece() -> None:
    data = os.urandom(10_000)
    blob = encrypt(data, 64, feed=len(data))
    assert decrypt(blob, piece=len(blob)) == data
    assert decrypt(blob, piece=1) == data


def test_finalize_twice_or_update_after_refused() -> None:
    enc = Encryptor(KEY, 16)
    enc.finalize()
    with pytest.raises(RuntimeError):
        enc.update(b"x")
    with pytest.raises(RuntimeError):
        enc.finalize()


@pytest.mark.parametrize("chunk_size", [0, (1 << 26) + 1])
def test_bad_chunk_size_refused(chunk_size: int) -> None:
    with pytest.raises(ValueError):
        Encryptor(KEY, chunk_size)


def test_bad_key_length_refused() -> None:
    with pytest.raises(ValueError):
        Encryptor(b"short")


def test_ciphertext_size() -> None:
    assert ciphertext_size(0, 16) == 19 + 16
    assert ciphertext_size(1, 16) == 19 + 1 + 16
    assert ciphertext_size(16, 16) == 19 + 16 + 16
    assert ciphertext_size(17, 16) == 19 + 17 + 32
    assert ciphertext_size(3 << 20) == 19 + (3 << 20) + 3 * 16


# -- tampering ------------------------------------------------------------------------------------

SAMPLE = bytes(range(256)) * 2  # 512 bytes: 8 chunks of 64
SAMPLE_BLOB = encrypt(SAMPLE, 64)


def expect_integrity_error(blob: bytes, key: bytes = KEY, piece: int = 1 << 20) -> IntegrityError:
    """Decrypt, asserting that no plaintext of a forged chunk is ever released."""
    released = b""
    with pytest.raises(IntegrityError) as info:
        for chunk in decrypt_stream(key, (blob[i : i + piece] for i in range(0, len(blob), piece))):
            released += chunk
    assert SAMPLE.startswith(released) or released == b""
    err = info.value
    assert err.code == "integrity_failure"
    assert err.detail
    assert "empreinte" in err.message
    return err


@settings(max_examples=200, deadline=None)
@given(position=st.integers(0, len(SAMPLE_BLOB) - 1), bit=st.integers(0, 7))
def test_any_flipped_bit_is_detected(position: int, bit: int) -> None:
    blob = bytearray(SAMPLE_BLOB)
    blob[position] ^= 1 << bit
    expect_integrity_error(bytes(blob))


@pytest.mark.parametrize("keep_chunks", range(8))
def test_truncation_at_every_chunk_boundary(keep_chunks: int) -> None:
    cut = HEADER_SIZE + keep_chunks * (64 + TAG_SIZE)
    err = expect_integrity_error(SAMPLE_BLOB[:cut])
    if keep_chunks:
        assert err.detail == f"stream truncated after chunk {keep_chunks - 1}"


@pytest.mark.parametrize("cut", [1, 8, HEADER_SIZE - 1, HEADER_SIZE + 5, HEADER_SIZE + 79, 300])
def test_truncation_mid_chunk_or_header(cut: int) -> None:
    expect_integrity_error(SAMPLE_BLOB[:cut])


def test_truncation_of_the_last_bytes() -> None:
    for n in range(1, TAG_SIZE + 3):
        expect_integrity_error(SAMPLE_BLOB[:-n])


def test_reordered_chunks() -> None:
    chunks = chunks_of(SAMPLE_BLOB, 64)
    chunks[2], chunks[3] = chunks[3], chunks[2]
    err = expect_integrity_error(SAMPLE_BLOB[:HEADER_SIZE] + b"".join(chunks))
    assert err.detail == "chunk 2 failed authentication"


def test_chunk_swapped_from_another_blob_with_same_key() -> None:
    other = encrypt(SAMPLE, 64)  # same key, same plaintext, different nonce prefix
    chunks = chunks_of(SAMPLE_BLOB, 64)
    chunks[4] = chunks_of(other, 64)[4]
    expect_integrity_error(SAMPLE_BLOB[:HEADER_SIZE] + b"".join(chunks))


def test_header_swapped_from_another_blob() -> None:
    other = encrypt(SAMPLE, 64)
    expect_integrity_error(other[:HEADER_SIZE] + SAMPLE_BLOB[HEADER_SIZE:])


def test_appended_chunk() -> None:
    chunks = chunks_of(SAMPLE_BLOB, 64)
    err = expect_integrity_error(SAMPLE_BLOB + chunks[3])
    assert err.detail == "trailing data after final chunk 7"
    expect_integrity_error(SAMPLE_BLOB + b"\x00")


def test_duplicated_chunk() -> None:
    chunks = chunks_of(SAMPLE_BLOB, 64)
    expect_integrity_error(SAMPLE_BLOB[:HEADER_SIZE] + b"".join(chunks[:3] + chunks[2:]))


def test_dropped_middle_chunk() -> None:
    chunks = chunks_of(SAMPLE_BLOB, 64)
    expect_integrity_error(SAMPLE_BLOB[:HEADER_SIZE] + b"".join(chunks[:3] + chunks[4:]))


def test_appended_to_short_final_chunk() -> None:
    blob = encrypt(SAMPLE[:100], 64)
    expect_integrity_error(blob + b"more")


def test_wrong_key() -> None:
    err = expect_integrity_error(SAMPLE_BLOB, key=new_data_key())
    assert err.detail == "chunk 0 failed authentication"


def test_bad_magic() -> None:
    err = expect_integrity_error(b"NOTSCEAU" + SAMPLE_BLOB[8:])
    assert err.detail == "bad magic"


@pytest.mark.parametrize("chunk_size", [0, 1 << 30])
def test_absurd_chunk_size_in_header(chunk_size: int) -> None:
    blob = SAMPLE_BLOB[:8] + chunk_size.to_bytes(4, "big") + SAMPLE_BLOB[12:]
    err = expect_integrity_error(blob)
    assert "out of range" in (err.detail or "")


def test_changed_chunk_size_in_header() -> None:
    blob = SAMPLE_BLOB[:8] + (32).to_bytes(4, "big") + SAMPLE_BLOB[12:]
    expect_integrity_error(blob)


def test_empty_source() -> None:
    expect_integrity_error(b"")


def test_no_unauthenticated_plaintext_is_released() -> None:
    blob = bytearray(SAMPLE_BLOB)
    blob[HEADER_SIZE + 3 * (64 + TAG_SIZE) + 10] ^= 1  # inside chunk 3
    released = []
    with pytest.raises(IntegrityError) as info:
        for chunk in decrypt_stream(KEY, [bytes(blob)]):
            released.append(chunk)
    assert b"".join(released) == SAMPLE[: 3 * 64]
    assert info.value.detail == "chunk 3 failed authentication"


def test_memory_bounded_with_huge_pieces() -> None:
    """A single huge piece is decrypted from views, without copying it."""
    data = os.urandom(8 << 20)
    blob = encrypt(data, 1 << 16, feed=1 << 20)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        total = 0
        for chunk in decrypt_stream(KEY, [blob]):
            total += len(chunk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total == len(data)
    assert peak < 1 << 20
