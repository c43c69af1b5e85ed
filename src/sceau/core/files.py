"""The one way Sceau answers with a file: the same headers for every app, page and API route.

Every file answer says its name for both old and new browsers (RFC 6266 ``filename`` and
``filename*``), is never cached nor sniffed, and is opened in a sandbox that runs no script;
a document with a known fingerprint also carries it (RFC 9530 ``Repr-Digest``).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from urllib.parse import quote

from django.http import HttpResponse, StreamingHttpResponse

SANDBOX = "sandbox; default-src 'none'; img-src 'self'; frame-ancestors 'none'"


def repr_digest(sha256_hex: str) -> str:
    """RFC 9530 Repr-Digest value for a SHA-256 given in hex."""
    return "sha-256=:" + base64.b64encode(bytes.fromhex(sha256_hex)).decode() + ":"


def content_disposition(name: str, *, attachment: bool = True) -> str:
    """``attachment`` (or ``inline``) with an ASCII fallback and the exact UTF-8 name."""
    kind = "attachment" if attachment else "inline"
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("\\", "_")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def file_response(
    content: bytes | Iterable[bytes],
    *,
    name: str,
    media_type: str,
    attachment: bool = True,
    size: int | None = None,
    sha256: str | None = None,
    extra: dict[str, str] | None = None,
) -> HttpResponse | StreamingHttpResponse:
    """A file answer: bytes at once, or chunks streamed (then give ``size``)."""
    if isinstance(content, bytes | bytearray | memoryview):
        data = bytes(content)
        response: HttpResponse | StreamingHttpResponse = HttpResponse(data, content_type=media_type)
        size = len(data)
    else:
        response = StreamingHttpResponse(content, content_type=media_type)
    if size is not None:
        response["Content-Length"] = str(size)
    if sha256 is not None:
        response["Repr-Digest"] = repr_digest(sha256)
    response["Content-Disposition"] = content_disposition(name, attachment=attachment)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX
    for header, value in (extra or {}).items():
        response[header] = value
    return response
