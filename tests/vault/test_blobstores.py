"""Blob stores: one conformance suite for the local directory and S3 (real moto server)."""

from __future__ import annotations

import gc
import hashlib
import os
import stat
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from sceau.vault.blobstores import (
    PART_SIZE,
    BlobStore,
    LocalBlobStore,
    S3BlobStore,
    check_blob_name,
    new_blob_name,
)
from sceau.vault.errors import BlobNotFound

BUCKET = "sceau-test"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-3", **CREDENTIALS)
    client.create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
    )
    yield endpoint
    server.stop()


@pytest.fixture
def s3_client(s3_endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=s3_endpoint, region_name="eu-west-3", **CREDENTIALS)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    client = request.getfixturevalue("s3_client")
    return S3BlobStore(BUCKET, f"test-{uuid.uuid4().hex[:8]}/blobs/", client)


def blob_bytes(size: int) -> bytes:
    return os.urandom(size)


def write_blob(store: BlobStore, data: bytes, piece: int = 100_000) -> str:
    name = new_blob_name()
    with store.writer(name) as writer:
        for i in range(0, len(data), piece):
            writer.write(data[i : i + piece])
        writer.commit()
    return name


def read_all(store: BlobStore, name: str, chunk_size: int = 1 << 20) -> bytes:
    return b"".join(store.read(name, chunk_size))


# -- names -----------------------------------------------------------------------------------------


def test_new_blob_names_are_valid_and_unique() -> None:
    names = {new_blob_name() for _ in range(100)}
    assert len(names) == 100
    for name in names:
        assert check_blob_name(name) == name


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "../etc/passwd",
        "A" * 32,
        "0" * 31,
        "0" * 33,
        "0" * 31 + "\n",
        "0" * 32 + "\n",
        "/" + "0" * 31,
        "g" * 32,
        "00/" + "0" * 29,
    ],
)
def test_invalid_names_refused(store: BlobStore, bad: str) -> None:
    with pytest.raises(ValueError):
        store.writer(bad)
    with pytest.raises(ValueError):
        store.read(bad)
    with pytest.raises(ValueError):
        store.delete(bad)
    with pytest.raises(ValueError):
        store.exists(bad)
    with pytest.raises(ValueError):
        store.size(bad)


# -- conformance -----------------------------------------------------------------------------------


class TestConformance:
    def test_round_trip(self, store: BlobStore) -> None:
        data = blob_bytes(300_001)
        name = write_blob(store, data)
        assert store.exists(name)
        assert store.size(name) == len(data)
        assert read_all(store, name) == data
        assert list(store.names()) == [name]
        assert store.modified(name) == pytest.approx(time.time(), abs=120)

    def test_read_in_bounded_pieces(self, store: BlobStore) -> None:
        data = blob_bytes(10_000)
        name = write_blob(store, data)
        pieces = list(store.read(name, chunk_size=1000))
        assert all(0 < len(p) <= 1000 for p in pieces)
        assert b"".join(pieces) == data

    def test_empty_blob(self, store: BlobStore) -> None:
        name = write_blob(store, b"")
        assert store.exists(name)
        assert store.size(name) == 0
        assert read_all(store, name) == b""

    def test_multipart_sized_blob(self, store: BlobStore) -> None:
        size = 20 << 20  # three parts of an S3 multipart upload (8 + 8 + 4 MiB)
        data = blob_bytes(size)
        name = write_blob(store, data, piece=1 << 20)
        assert store.size(name) == size
        digest = hashlib.sha256()
        for piece in store.read(name):
            digest.update(piece)
        assert digest.digest() == hashlib.sha256(data).digest()

    def test_exactly_one_part(self, store: BlobStore) -> None:
        data = blob_bytes(PART_SIZE)
        name = write_blob(store, data, piece=1 << 20)
        assert read_all(store, name) == data

    def test_uncommitted_writer_leaves_nothing_visible(self, store: BlobStore) -> None:
        name = new_blob_name()
        writer = store.writer(name)
        writer.write(blob_bytes(PART_SIZE + 1000))  # S3: one part already uploaded
        assert not store.exists(name)
        assert list(store.names()) == []
        with pytest.raises(BlobNotFound):
            store.read(name)
        writer.abort()
        writer.abort()  # idempotent
        assert not store.exists(name)
        assert list(store.names()) == []

    def test_leaving_with_without_commit_aborts(self, store: BlobStore) -> None:
        name = new_blob_name()
        with store.writer(name) as writer:
            writer.write(b"partial")
        assert not store.exists(name)
        with pytest.raises(RuntimeError):
            writer.write(b"more")
        with pytest.raises(RuntimeError):
            writer.commit()

    def test_exception_inside_with_aborts(self, store: BlobStore) -> None:
        name = new_blob_name()
        with pytest.raises(ZeroDivisionError), store.writer(name) as writer:
            writer.write(blob_bytes(PART_SIZE + 10))
            _ = 1 / 0
        assert not store.exists(name)
        assert list(store.names()) == []

    def test_write_after_commit_refused(self, store: BlobStore) -> None:
        name = new_blob_name()
        with store.writer(name) as writer:
            writer.write(b"data")
            writer.commit()
            with pytest.raises(RuntimeError):
                writer.write(b"more")
            writer.abort()  # no-op once committed
        assert read_all(store, name) == b"data"

    def test_delete_is_idempotent(self, store: BlobStore) -> None:
        name = write_blob(store, b"to be deleted")
        store.delete(name)
        assert not store.exists(name)
        store.delete(name)
        store.delete(new_blob_name())
        with pytest.raises(BlobNotFound):
            store.read(name)

    def test_names_lists_committed_only(self, store: BlobStore) -> None:
        committed = {write_blob(store, b"a"), write_blob(store, b"b")}
        pending = store.writer(new_blob_name())
        pending.write(b"pending")
        aborted = store.writer(new_blob_name())
        aborted.write(b"aborted")
        aborted.abort()
        assert set(store.names()) == committed
        pending.abort()

    def test_missing_blob(self, store: BlobStore) -> None:
        name = new_blob_name()
        assert not store.exists(name)
        with pytest.raises(BlobNotFound) as info:
            store.read(name)
        assert info.value.code == "blob_not_found"
        with pytest.raises(BlobNotFound):
            store.size(name)
        with pytest.raises(BlobNotFound):
            store.modified(name)

    def test_writer_accepts_bytearray_and_memoryview(self, store: BlobStore) -> None:
        buf = bytearray(b"abcdef")
        name = new_blob_name()
        with store.writer(name) as writer:
            writer.write(buf)
            buf[:] = b"XXXXXX"  # the caller may reuse its buffer after write() returns
            writer.write(memoryview(b"ghij")[1:3])
            writer.commit()
        assert read_all(store, name) == b"abcdefhi"


# -- local store specifics -------------------------------------------------------------------------


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_local_layout_and_permissions(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    store = LocalBlobStore(root)
    assert mode(root / ".tmp") == 0o700
    name = new_blob_name()
    writer = store.writer(name)
    writer.write(b"secret ciphertext")
    temps = list((root / ".tmp").iterdir())
    assert len(temps) == 1
    assert mode(temps[0]) == 0o600
    writer.commit()
    path = root / name[:2] / name[2:4] / name
    assert path.read_bytes() == b"secret ciphertext"
    assert mode(path.parent) == 0o700
    assert mode(path.parent.parent) == 0o700
    assert mode(path) == 0o600
    assert list((root / ".tmp").iterdir()) == []


def test_local_crash_leaves_only_a_temporary_file(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    store = LocalBlobStore(root)
    name = new_blob_name()
    writer = store.writer(name)
    writer.write(b"half written")
    writer._stop()  # type: ignore[attr-defined]  # simulate a crash: no commit, no abort
    assert not store.exists(name)
    assert list(store.names()) == []
    assert len(list((root / ".tmp").iterdir())) == 1
    # a new store object (after restart) still lists nothing
    assert list(LocalBlobStore(root).names()) == []


def test_local_sweep_temporary(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    stale = tmp_path / "blobs" / ".tmp" / "stale.part"
    stale.write_bytes(b"x")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    live = store.writer(new_blob_name())
    live.write(b"in progress")
    assert store.sweep_temporary(3600) == 1
    assert not stale.exists()
    assert len(list((tmp_path / "blobs" / ".tmp").iterdir())) == 1
    live.abort()
    assert store.sweep_temporary(0) == 0


def test_local_names_ignores_foreign_files(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    store = LocalBlobStore(root)
    name = write_blob(store, b"real")
    shard = root / name[:2] / name[2:4]
    (shard / "notes.txt").write_text("x")
    (shard / ("f" * 32)).write_text("wrong shard")
    (root / "zz").mkdir()
    (root / "README").write_text("x")
    assert list(store.names()) == [name]


def test_local_dropped_writer_cleans_up(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    writer = store.writer(new_blob_name())
    writer.write(b"forgotten")
    del writer
    gc.collect()
    assert list((tmp_path / "blobs" / ".tmp").iterdir()) == []


# -- S3 specifics ----------------------------------------------------------------------------------


def test_s3_abort_aborts_the_multipart_upload(s3_client: Any) -> None:
    prefix = f"abort-{uuid.uuid4().hex[:8]}/"
    store = S3BlobStore(BUCKET, prefix, s3_client)
    name = new_blob_name()
    writer = store.writer(name)
    writer.write(blob_bytes(PART_SIZE * 2 + 5))
    uploads = s3_client.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix).get("Uploads", [])
    assert [u["Key"] for u in uploads] == [prefix + name]
    writer.abort()
    uploads = s3_client.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix).get("Uploads", [])
    assert uploads == []
    assert not store.exists(name)


def test_s3_small_blob_uses_single_put(s3_client: Any) -> None:
    calls: list[str] = []
    s3_client.meta.events.register("before-call.s3.*", lambda model, **kw: calls.append(model.name))
    store = S3BlobStore(BUCKET, "small/", s3_client)
    write_blob(store, b"tiny")
    assert calls == ["PutObject"]


def test_s3_keys_and_foreign_objects(s3_client: Any) -> None:
    prefix = f"keys-{uuid.uuid4().hex[:8]}/"
    store = S3BlobStore(BUCKET, prefix, s3_client)
    name = write_blob(store, b"x")
    s3_client.head_object(Bucket=BUCKET, Key=prefix + name)
    s3_client.put_object(Bucket=BUCKET, Key=prefix + "other/" + "0" * 32, Body=b"x")
    s3_client.put_object(Bucket=BUCKET, Key=prefix + "README", Body=b"x")
    assert list(store.names()) == [name]


def test_s3_from_settings(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    store = S3BlobStore.from_settings(BUCKET, "settings/", s3_endpoint, "eu-west-3")
    name = write_blob(store, b"configured")
    assert read_all(store, name) == b"configured"
    store.delete(name)
