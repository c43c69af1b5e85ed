"""Streaming deposits through the whole Django stack: bounded memory, no plaintext on disk."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tempfile
import time
import tracemalloc
from pathlib import Path

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test.client import RequestFactory

from sceau.pieces.models import Document

pytestmark = pytest.mark.django_db

MARKER = b"SCEAU-PLAINTEXT-MARKER-7f3a9c1e"
BLOCK = 1024 * 1024


class StreamingBody(io.RawIOBase):
    """A multipart body generated on the fly: a PDF-shaped file of ``size`` bytes."""

    def __init__(self, boundary: str, size: int) -> None:
        self.head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="grand.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        self.tail = f"\r\n--{boundary}--\r\n".encode()
        start, end = b"%PDF-1.7\n", b"\nstartxref\n0\n%%EOF\n"
        block = MARKER + os.urandom(BLOCK - len(MARKER))
        self.parts = [(self.head, 1), (start, 1), (block, (size - len(start) - len(end)) // BLOCK)]
        filler = size - len(start) - len(end) - self.parts[2][1] * BLOCK
        self.parts += [(b"\0" * filler, 1), (end, 1), (self.tail, 1)]
        self.length = sum(len(p) * n for p, n in self.parts)
        self.sha = hashlib.sha256()
        for part, n in self.parts[1:-1]:
            for _ in range(n):
                self.sha.update(part)
        self._iter = (p for p, n in self.parts for _ in range(n))
        self._buf = b""

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        while (n < 0 or len(self._buf) < n) and self._iter is not None:
            nxt = next(self._iter, None)
            if nxt is None:
                self._iter = None
                break
            self._buf += nxt
        if n < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:n], self._buf[n:]
        return out


@pytest.fixture
def wsgi():
    # Like Django's test client: keep the test's connection (and transaction) across requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _files_under(root: Path, since: float) -> list[Path]:
    found = []
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            try:
                st = path.lstat()
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and st.st_mtime >= since:
                found.append(path)
    return found


def _contains_marker(path: Path) -> bool:
    try:
        fh = open(path, "rb")
    except OSError:  # vanished or unreadable: not ours
        return False
    with fh:
        while chunk := fh.read(BLOCK + len(MARKER)):
            if MARKER in chunk:
                return True
            if len(chunk) > len(MARKER):
                fh.seek(-len(MARKER), os.SEEK_CUR)
    return False


def test_large_deposit_streams_in_small_memory_and_writes_no_plaintext(world, wsgi, monkeypatch):
    size = 300 * 1024 * 1024
    from sceau.vault.services import get_vault

    monkeypatch.setattr(get_vault(), "max_bytes", size + 1)
    boundary = "sceau-boundary-4e1f"
    body = StreamingBody(boundary, size)
    environ = RequestFactory()._base_environ(
        PATH_INFO=f"/api/v1/dossiers/{world.dossier.pk}/documents",
        REQUEST_METHOD="POST",
        CONTENT_TYPE=f"multipart/form-data; boundary={boundary}",
        CONTENT_LENGTH=str(body.length),
        HTTP_AUTHORIZATION=f"Bearer {world.token}",
    )
    environ["wsgi.input"] = body
    statuses = []
    started = time.time() - 1
    tracemalloc.start()
    try:
        response = wsgi(environ, lambda status, headers: statuses.append(status))
        content = b"".join(response)
        response.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert statuses == ["201 Created"], content
    doc = Document.objects.get(dossier=world.dossier, size=size)
    assert doc.sha256 == body.sha.hexdigest()
    assert peak < 32 * 1024 * 1024, f"peak traced memory {peak / 1e6:.1f} MB"
    written = _files_under(settings.DATA_DIR, started) + _files_under(
        Path(tempfile.gettempdir()), started
    )
    assert written, "the encrypted blob should be among the new files"
    leaking = [p for p in written if _contains_marker(p)]
    assert leaking == [], f"plaintext found on disk in {leaking}"
