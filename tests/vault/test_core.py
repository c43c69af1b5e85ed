"""The vault end to end: seal, open, verify, destroy; refusals leave nothing behind."""

from __future__ import annotations

import hashlib
import io
import os
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from tests import helpers

from sceau.vault.blobstores import LocalBlobStore
from sceau.vault.core import SealedBlob, Vault
from sceau.vault.envelope import ciphertext_size
from sceau.vault.errors import (
    BlobNotFound,
    DocumentTooLarge,
    EmptyDocument,
    IntegrityError,
    KeyNotFound,
    UnsupportedFormat,
)
from sceau.vault.keyring import FileKeyring

MARKER = "Signification a Monsieur Dupont, 12 rue des Lilas"


def make_pdf(pages: int = 20) -> bytes:
    return helpers.make_pdf(MARKER, pages, compress=False)


def make_png() -> bytes:
    buf = io.BytesIO()
    Image.frombytes("RGB", (120, 80), os.urandom(120 * 80 * 3)).save(buf, format="PNG")
    return buf.getvalue()


def pieces(data: bytes, size: int) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


@pytest.fixture
def keys(tmp_path: Path) -> FileKeyring:
    return FileKeyring(tmp_path / "keys" / "keyring.json")


@pytest.fixture
def vault(store: LocalBlobStore, keys: FileKeyring) -> Vault:
    return Vault(store, keys, max_bytes=10 << 20, chunk_size=4096)


def open_all(vault: Vault, sealed: SealedBlob, **override: object) -> bytes:
    args = {
        "blob_name": sealed.blob_name,
        "key_id": sealed.key_id,
        "wrapped_key": sealed.wrapped_key,
        "sha256": sealed.sha256,
        "size": sealed.size,
    }
    args.update(override)
    return b"".join(vault.open(**args))  # type: ignore[arg-type]


def stored_path(store: LocalBlobStore, sealed: SealedBlob) -> Path:
    return store.path_of(sealed.blob_name)


def no_blob_left(store: LocalBlobStore) -> bool:
    return list(store.names()) == [] and list(store.tmp_dir.iterdir()) == []


@pytest.mark.parametrize("piece", [1000, 4096, 65536, 1 << 20])
def test_seal_open_round_trip(vault: Vault, store: LocalBlobStore, piece: int) -> None:
    data = make_pdf()
    sealed = vault.seal(pieces(data, piece))
    assert sealed.size == len(data)
    assert sealed.sha256 == hashlib.sha256(data).hexdigest()
    assert sealed.media_type == "application/pdf"
    assert sealed.key_id == vault.keys.current_key_id()
    assert sealed.stored_size == store.size(sealed.blob_name) == ciphertext_size(len(data), 4096)
    assert list(store.names()) == [sealed.blob_name]
    assert open_all(vault, sealed) == data
    vault.verify(
        sealed.blob_name, sealed.key_id, sealed.wrapped_key, sealed.sha256.upper(), sealed.size
    )


def test_png_and_streaming_api(vault: Vault) -> None:
    data = make_png()
    sealing = vault.start()
    for chunk in pieces(data, 333):
        sealing.write(chunk)
    assert sealing.size == len(data)
    sealed = sealing.finish()
    assert sealed.media_type == "image/png"
    assert open_all(vault, sealed) == data
    with pytest.raises(RuntimeError):
        sealing.write(b"more")


def test_no_plaintext_or_data_key_at_rest(
    vault: Vault, store: LocalBlobStore, tmp_path: Path
) -> None:
    data = make_pdf()
    assert MARKER.encode() in data
    sealed = vault.seal([data])
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert MARKER.encode() not in path.read_bytes(), path
    assert len(sealed.wrapped_key) == 12 + 32 + 16


def test_flipped_byte_in_stored_blob(vault: Vault, store: LocalBlobStore) -> None:
    data = make_pdf()
    sealed = vault.seal([data])
    path = stored_path(store, sealed)
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0x40
    path.write_bytes(bytes(blob))
    received = []
    with pytest.raises(IntegrityError) as info:
        for chunk in vault.open(
            sealed.blob_name, sealed.key_id, sealed.wrapped_key, sealed.sha256, sealed.size
        ):
            received.append(chunk)
    assert info.value.code == "integrity_failure"
    assert "empreinte" in info.value.message
    assert len(b"".join(received)) < len(data)
    with pytest.raises(IntegrityError):
        vault.verify(
            sealed.blob_name, sealed.key_id, sealed.wrapped_key, sealed.sha256, sealed.size
        )


def test_truncated_stored_blob(vault: Vault, store: LocalBlobStore) -> None:
    sealed = vault.seal([make_pdf()])
    path = stored_path(store, sealed)
    path.write_bytes(path.read_bytes()[: 19 + 2 * (4096 + 16)])
    with pytest.raises(IntegrityError):
        open_all(vault, sealed)


def test_wrong_expected_sha256_withholds_the_end(vault: Vault) -> None:
    data = make_pdf()
    sealed = vault.seal([data])
    wrong = hashlib.sha256(b"other").hexdigest()
    received = []
    with pytest.raises(IntegrityError) as info:
        for chunk in vault.open(
            sealed.blob_name, sealed.key_id, sealed.wrapped_key, wrong, sealed.size
        ):
            received.append(chunk)
    assert "sha256 mismatch" in (info.value.detail or "")
    assert len(b"".join(received)) < len(data)  # the last chunk was never delivered


@pytest.mark.parametrize("delta", [-1, 1])
def test_wrong_expected_size(vault: Vault, delta: int) -> None:
    sealed = vault.seal([make_pdf()])
    with pytest.raises(IntegrityError):
        open_all(vault, sealed, size=sealed.size + delta)


def test_wrapped_key_bound_to_its_blob(vault: Vault) -> None:
    first = vault.seal([make_pdf()])
    second = vault.seal([make_pdf()])
    with pytest.raises(IntegrityError):
        open_all(vault, first, wrapped_key=second.wrapped_key)


def test_unknown_key_and_missing_blob(vault: Vault) -> None:
    sealed = vault.seal([make_pdf()])
    with pytest.raises(KeyNotFound):
        open_all(vault, sealed, key_id="kek-20000101-deadbeef")
    vault.destroy(sealed.blob_name)
    vault.destroy(sealed.blob_name)  # idempotent
    with pytest.raises(BlobNotFound):
        vault.open(sealed.blob_name, sealed.key_id, sealed.wrapped_key, sealed.sha256, 1)


def test_open_after_key_rotation(vault: Vault, keys: FileKeyring) -> None:
    data = make_pdf()
    sealed = vault.seal([data])
    keys.rotate()
    assert open_all(vault, sealed) == data
    key_id, wrapped = keys.rewrap(sealed.key_id, sealed.wrapped_key, sealed.blob_name.encode())
    assert open_all(vault, sealed, key_id=key_id, wrapped_key=wrapped) == data


def test_too_large_aborts_and_leaves_no_blob(store: LocalBlobStore, keys: FileKeyring) -> None:
    vault = Vault(store, keys, max_bytes=100_000, chunk_size=4096)
    data = make_pdf(400)
    assert len(data) > 100_000
    with pytest.raises(DocumentTooLarge) as info:
        vault.seal(pieces(data, 10_000))
    assert info.value.code == "too_large"
    assert "Mo" in info.value.message
    assert no_blob_left(store)


def test_too_large_via_sealing(store: LocalBlobStore, keys: FileKeyring) -> None:
    vault = Vault(store, keys, max_bytes=200 << 20)
    sealing = vault.start()
    sealing.write(b"%PDF-1.7\n")
    with pytest.raises(DocumentTooLarge) as info:
        sealing.write(memoryview(bytes(200 << 20)))
    assert "200 Mo" in info.value.message
    assert no_blob_left(store)
    with pytest.raises(RuntimeError):
        sealing.finish()


def test_exactly_max_bytes_accepted(store: LocalBlobStore, keys: FileKeyring) -> None:
    data = make_pdf()
    vault = Vault(store, keys, max_bytes=len(data), chunk_size=4096)
    sealed = vault.seal(pieces(data, 1000))
    assert sealed.size == len(data)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"Just some text, not a document.\n" * 1000, UnsupportedFormat),
        (make_pdf()[:-300], UnsupportedFormat),
        (b"", EmptyDocument),
    ],
)
def test_refused_format_leaves_no_blob(
    vault: Vault, store: LocalBlobStore, data: bytes, error: type[Exception]
) -> None:
    with pytest.raises(error):
        vault.seal(pieces(data, 4096))
    assert no_blob_left(store)


def test_exception_while_depositing_aborts(vault: Vault, store: LocalBlobStore) -> None:
    def interrupted() -> Iterator[bytes]:
        yield b"%PDF-1.7\n" + bytes(50_000)
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        vault.seal(interrupted())
    assert no_blob_left(store)
    sealing = vault.start()
    sealing.write(b"%PDF-1.7\n")
    sealing.abort()
    sealing.abort()
    assert no_blob_left(store)


def test_abort_after_finish_keeps_the_blob(vault: Vault, store: LocalBlobStore) -> None:
    with vault.start() as sealing:
        sealing.write(make_pdf())
        sealed = sealing.finish()
    sealing.abort()
    assert list(store.names()) == [sealed.blob_name]


def test_large_streaming_deposit_in_bounded_memory(tmp_path: Path) -> None:
    """300 MB, fed 64 KiB at a time from a generator: memory stays flat, and it is quick."""
    size = 300 * 1000 * 1000
    block = bytearray(os.urandom(1 << 20))
    head, tail = b"%PDF-1.7\n", b"\nstartxref\n0\n%%EOF\n"

    def document() -> Iterator[bytes]:
        yield head
        sent, counter = len(head), 0
        view = memoryview(block)
        while sent < size - len(tail):
            block[:8] = counter.to_bytes(8, "big")  # every MiB differs
            counter += 1
            for offset in range(0, len(block), 65536):
                n = min(65536, size - len(tail) - sent)
                if n <= 0:
                    break
                yield view[offset : offset + n]
                sent += n
        yield tail

    expected = hashlib.sha256()
    for piece in document():
        expected.update(piece)

    store = LocalBlobStore(tmp_path / "blobs")
    vault = Vault(store, FileKeyring(tmp_path / "keys.json"), max_bytes=size)
    vault.keys.current_key_id()
    tracemalloc.start()
    try:
        started = time.perf_counter()
        sealed = vault.seal(document())
        sealed_at = time.perf_counter()
        seal_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        count = 0
        for chunk in vault.open(
            sealed.blob_name, sealed.key_id, sealed.wrapped_key, sealed.sha256, sealed.size
        ):
            count += len(chunk)
        opened_at = time.perf_counter()
        open_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sealed.size == count == size
    assert sealed.sha256 == expected.hexdigest()
    assert seal_peak < 16 << 20, f"deposit peak {seal_peak / 1e6:.1f} MB"
    assert open_peak < 16 << 20, f"consultation peak {open_peak / 1e6:.1f} MB"
    assert sealed_at - started < 10, f"deposit took {sealed_at - started:.1f} s"
    assert opened_at - sealed_at < 10, f"consultation took {opened_at - sealed_at:.1f} s"
