"""Where encrypted blobs are kept: a local directory or an S3-compatible bucket.

Blob names are 32 lowercase hex digits (a uuid4), checked everywhere, so a name can never be a
path or an S3 key outside the store's prefix. A blob becomes visible under its name only when
its writer commits: an interrupted or aborted write leaves nothing readable under that name.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Protocol

from botocore.exceptions import ClientError

from .errors import BlobNotFound

NAME_RE = re.compile(r"[0-9a-f]{32}")
_SHARD_RE = re.compile(r"[0-9a-f]{2}")
READ_CHUNK = 1 << 20
PART_SIZE = 8 << 20
WRITEBACK_WINDOW = 8 << 20
WRITE_QUEUE_DEPTH = 4

__all__ = [
    "PART_SIZE",
    "BlobStore",
    "BlobWriter",
    "LocalBlobStore",
    "S3BlobStore",
    "check_blob_name",
    "new_blob_name",
]


def new_blob_name() -> str:
    """Return a fresh random blob name (uuid4 as 32 hex digits)."""
    return uuid.uuid4().hex


def check_blob_name(name: str) -> str:
    """Return ``name`` if it is a valid blob name, else raise ValueError."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise ValueError(f"invalid blob name {name!r}: expected 32 lowercase hex digits")
    return name


class BlobWriter(Protocol):
    """Receives a blob's bytes; nothing is visible under its name before ``commit()``.

    As a context manager, leaving the block before ``commit()`` (normally or by an exception)
    aborts the write.
    """

    def write(self, data: bytes) -> None:
        """Append bytes to the blob."""
        ...

    def commit(self) -> None:
        """Make the blob visible under its name, durably."""
        ...

    def abort(self) -> None:
        """Discard everything written; idempotent, no-op after commit."""
        ...

    def __enter__(self) -> BlobWriter: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class BlobStore(Protocol):
    """A flat namespace of immutable blobs."""

    def writer(self, name: str) -> BlobWriter:
        """Start writing blob ``name``."""
        ...

    def read(self, name: str, chunk_size: int = READ_CHUNK) -> Iterator[bytes]:
        """Yield the blob's bytes in pieces of at most ``chunk_size``; BlobNotFound if absent."""
        ...

    def delete(self, name: str) -> None:
        """Delete the blob; no error if it does not exist."""
        ...

    def exists(self, name: str) -> bool:
        """Whether a committed blob has this name."""
        ...

    def names(self) -> Iterator[str]:
        """Names of every committed blob."""
        ...

    def size(self, name: str) -> int:
        """Size in bytes of the stored blob; BlobNotFound if absent."""
        ...

    def modified(self, name: str) -> float:
        """When the blob was committed (POSIX timestamp); BlobNotFound if absent."""
        ...


class _Writer:
    """State machine and context-manager behaviour shared by the writers."""

    def __init__(self, name: str) -> None:
        self.name = check_blob_name(name)
        self._state = "open"

    def __enter__(self) -> _Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._state == "open":
            self.abort()

    def _check_open(self) -> None:
        if self._state != "open":
            raise RuntimeError(f"blob writer for {self.name} is {self._state}")

    def write(self, data: bytes) -> None:
        """Append bytes to the blob."""
        self._check_open()
        try:
            self._write(memoryview(data).cast("B"))
        except BaseException:
            self.abort()
            raise

    def commit(self) -> None:
        """Make the blob visible under its name, durably."""
        self._check_open()
        try:
            self._commit()
        except BaseException:
            self.abort()
            raise
        self._state = "committed"

    def abort(self) -> None:
        """Discard everything written; idempotent, no-op after commit."""
        if self._state != "open":
            return
        self._state = "aborted"
        self._abort()

    def _write(self, data: memoryview) -> None:
        raise NotImplementedError

    def _commit(self) -> None:
        raise NotImplementedError

    def _abort(self) -> None:
        raise NotImplementedError


# -- local directory ----------------------------------------------------------------------------


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_dirs(path: Path) -> list[Path]:
    """Create ``path`` and missing parents with mode 0700; return the ones created."""
    created: list[Path] = []
    missing = path
    while not missing.exists():
        created.append(missing)
        missing = missing.parent
    for directory in reversed(created):
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=0o700)
            os.chmod(directory, 0o700)
    return created


class _FileSink:
    """The writing side of a local writer, run by its background thread."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=WRITE_QUEUE_DEPTH)
        self.error: BaseException | None = None
        self.cancelled = False
        self.written = 0
        self.flushed = 0

    def run(self) -> None:
        while (data := self.queue.get()) is not None:
            if self.error is not None or self.cancelled:
                continue  # keep draining so that the producer never blocks
            try:
                self.write(data)
            except Exception as exc:  # noqa: BLE001 (re-raised in the caller's thread)
                self.error = exc

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]
        self.written += len(data)
        if self.written - self.flushed >= WRITEBACK_WINDOW:
            # Start writing back what is written so far, without waiting, so that the disk
            # works while the next chunks are encrypted and the final fsync has little left;
            # and drop those pages from the cache (a ciphertext is rarely read back soon).
            os.posix_fadvise(
                self.fd, self.flushed, self.written - self.flushed, os.POSIX_FADV_DONTNEED
            )
            self.flushed = self.written


class _LocalWriter(_Writer):
    """Writes a temporary file through a background thread, then renames it into place.

    The thread lets disk writes overlap the caller's hashing and encryption; at most
    WRITE_QUEUE_DEPTH pieces wait in memory. A write error surfaces on a later ``write()``
    or on ``commit()``.
    """

    def __init__(self, store: LocalBlobStore, name: str) -> None:
        super().__init__(name)
        self._final = store.path_of(name)
        fd, self._tmp = tempfile.mkstemp(dir=store.tmp_dir, prefix=f"{name}.", suffix=".part")
        self._sink = _FileSink(fd)
        self._thread: threading.Thread | None = threading.Thread(
            target=self._sink.run, name=f"blob-writer-{name[:8]}", daemon=True
        )
        self._thread.start()

    def __del__(self) -> None:
        # A writer dropped without commit or abort: stop its thread, remove its temp file.
        if getattr(self, "_state", None) == "open" and hasattr(self, "_sink"):
            self.abort()

    def _write(self, data: memoryview) -> None:
        self._raise_sink_error()
        obj = data.obj
        # Queue an immutable object: the caller may reuse its buffer once we return.
        item = obj if type(obj) is bytes and data.nbytes == len(obj) else data.tobytes()
        if item:
            self._sink.queue.put(item)

    def _stop(self) -> None:
        if self._thread is not None:
            self._sink.queue.put(None)
            self._thread.join()
            self._thread = None

    def _raise_sink_error(self) -> None:
        if self._sink.error is not None:
            raise self._sink.error

    def _commit(self) -> None:
        self._stop()
        self._raise_sink_error()
        fd, self._sink.fd = self._sink.fd, -1
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        created = _make_dirs(self._final.parent)
        os.replace(self._tmp, self._final)
        _fsync_dir(self._final.parent)
        for directory in created:
            _fsync_dir(directory.parent)

    def _abort(self) -> None:
        self._sink.cancelled = True
        self._stop()
        if self._sink.fd >= 0:
            os.close(self._sink.fd)
            self._sink.fd = -1
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._tmp)


class LocalBlobStore:
    """Blobs as files ``root/ab/cd/<name>``, written through ``root/.tmp`` and renamed."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.tmp_dir = self.root / ".tmp"
        _make_dirs(self.tmp_dir)

    def path_of(self, name: str) -> Path:
        """File holding blob ``name`` (sharded by its first four hex digits)."""
        check_blob_name(name)
        return self.root / name[:2] / name[2:4] / name

    def writer(self, name: str) -> BlobWriter:
        """Start writing blob ``name`` into a private temporary file."""
        return _LocalWriter(self, name)

    def read(self, name: str, chunk_size: int = READ_CHUNK) -> Iterator[bytes]:
        """Yield the blob's bytes; BlobNotFound (raised now, not lazily) if absent."""
        try:
            fh = open(self.path_of(name), "rb", buffering=0)  # closed by _file_chunks
        except FileNotFoundError:
            raise BlobNotFound(detail=f"blob {name} not found in {self.root}") from None
        os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)  # larger read-ahead
        return _file_chunks(fh, chunk_size)

    def delete(self, name: str) -> None:
        """Delete the blob; no error if it does not exist."""
        path = self.path_of(name)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        _fsync_dir(path.parent)

    def exists(self, name: str) -> bool:
        """Whether a committed blob has this name."""
        return self.path_of(name).is_file()

    def size(self, name: str) -> int:
        """Size in bytes of the stored blob."""
        try:
            return self.path_of(name).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(detail=f"blob {name} not found in {self.root}") from None

    def modified(self, name: str) -> float:
        """When the blob was committed (POSIX timestamp)."""
        try:
            return self.path_of(name).stat().st_mtime
        except FileNotFoundError:
            raise BlobNotFound(detail=f"blob {name} not found in {self.root}") from None

    def names(self) -> Iterator[str]:
        """Names of every committed blob (temporary files are never listed)."""
        for first in _subdirs(self.root):
            for second in _subdirs(Path(first.path)):
                with os.scandir(second.path) as entries:
                    for entry in entries:
                        name = entry.name
                        if (
                            NAME_RE.fullmatch(name)
                            and name[:2] == first.name
                            and name[2:4] == second.name
                            and entry.is_file(follow_symlinks=False)
                        ):
                            yield name

    def sweep_temporary(self, older_than_seconds: float) -> int:
        """Remove temporary files left by interrupted writes; return how many were removed."""
        limit = time.time() - older_than_seconds
        removed = 0
        with os.scandir(self.tmp_dir) as entries:
            for entry in entries:
                try:
                    if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < limit:
                        os.unlink(entry.path)
                        removed += 1
                except FileNotFoundError:
                    continue
        return removed


def _subdirs(path: Path) -> list[os.DirEntry[str]]:
    with os.scandir(path) as entries:
        return sorted(
            (e for e in entries if _SHARD_RE.fullmatch(e.name) and e.is_dir(follow_symlinks=False)),
            key=lambda e: e.name,
        )


def _file_chunks(fh: BinaryIO, chunk_size: int) -> Iterator[bytes]:
    with fh:
        while chunk := fh.read(chunk_size):
            yield chunk
            del chunk  # do not hold the previous piece while reading the next


# -- S3 -----------------------------------------------------------------------------------------


def _is_not_found(error: ClientError) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in {"NoSuchKey", "404", "NotFound"} or status == 404


class _S3Writer(_Writer):
    """Multipart upload in parts of PART_SIZE, holding at most one part in memory."""

    def __init__(self, store: S3BlobStore, name: str) -> None:
        super().__init__(name)
        self._client = store.client
        self._bucket = store.bucket
        self._key = store.key_of(name)
        self._buf = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []

    def _write(self, data: memoryview) -> None:
        while data:
            room = PART_SIZE - len(self._buf)
            self._buf += data[:room]
            data = data[room:]
            if len(self._buf) >= PART_SIZE:
                self._flush_part()

    def _flush_part(self) -> None:
        if self._upload_id is None:
            response = self._client.create_multipart_upload(Bucket=self._bucket, Key=self._key)
            self._upload_id = response["UploadId"]
        number = len(self._parts) + 1
        body = bytes(self._buf)
        self._buf = bytearray()
        response = self._client.upload_part(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=body,
        )
        self._parts.append({"ETag": response["ETag"], "PartNumber": number})

    def _commit(self) -> None:
        if self._upload_id is None:
            body = bytes(self._buf)
            self._buf = bytearray()
            self._client.put_object(Bucket=self._bucket, Key=self._key, Body=body)
            return
        if self._buf:
            self._flush_part()
        self._client.complete_multipart_upload(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": self._parts},
        )

    def _abort(self) -> None:
        self._buf = bytearray()
        if self._upload_id is not None:
            upload_id, self._upload_id = self._upload_id, None
            # Best effort: a bucket lifecycle rule should also expire incomplete uploads.
            with contextlib.suppress(ClientError):
                self._client.abort_multipart_upload(
                    Bucket=self._bucket, Key=self._key, UploadId=upload_id
                )


class S3BlobStore:
    """Blobs as objects ``<prefix><name>`` in an S3 (or S3-compatible) bucket."""

    def __init__(self, bucket: str, prefix: str, client: Any) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.client = client

    @classmethod
    def from_settings(
        cls, bucket: str, prefix: str, endpoint_url: str | None, region: str | None
    ) -> S3BlobStore:
        """Build the store and its boto3 client (credentials from the usual AWS sources)."""
        import boto3
        from botocore.config import Config

        config = Config(
            retries={"max_attempts": 5, "mode": "standard"},
            # S3-compatible services do not all support the newer default checksums.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        client = boto3.client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or None, config=config
        )
        return cls(bucket, prefix, client)

    def key_of(self, name: str) -> str:
        """Object key of blob ``name``."""
        return self.prefix + check_blob_name(name)

    def writer(self, name: str) -> BlobWriter:
        """Start writing blob ``name`` (visible only once the upload completes)."""
        return _S3Writer(self, name)

    def read(self, name: str, chunk_size: int = READ_CHUNK) -> Iterator[bytes]:
        """Yield the blob's bytes; BlobNotFound (raised now, not lazily) if absent."""
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.key_of(name))
        except ClientError as error:
            if _is_not_found(error):
                raise BlobNotFound(detail=f"s3://{self.bucket}/{self.key_of(name)}") from None
            raise
        return _body_chunks(response["Body"], chunk_size)

    def delete(self, name: str) -> None:
        """Delete the blob; no error if it does not exist."""
        self.client.delete_object(Bucket=self.bucket, Key=self.key_of(name))

    def exists(self, name: str) -> bool:
        """Whether a committed blob has this name."""
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key_of(name))
        except ClientError as error:
            if _is_not_found(error):
                return False
            raise
        return True

    def size(self, name: str) -> int:
        """Size in bytes of the stored blob."""
        return int(self._head(name)["ContentLength"])

    def modified(self, name: str) -> float:
        """When the blob was committed (POSIX timestamp)."""
        return float(self._head(name)["LastModified"].timestamp())

    def _head(self, name: str) -> dict[str, Any]:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.key_of(name))
        except ClientError as error:
            if _is_not_found(error):
                raise BlobNotFound(detail=f"s3://{self.bucket}/{self.key_of(name)}") from None
            raise

    def names(self) -> Iterator[str]:
        """Names of every committed blob under the prefix."""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                name = item["Key"][len(self.prefix) :]
                if NAME_RE.fullmatch(name):
                    yield name


def _body_chunks(body: Any, chunk_size: int) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(chunk_size)
    finally:
        body.close()
