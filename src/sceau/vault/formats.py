"""Streaming checks of the document format, and safe display names.

Only PDF, PNG and JPEG are accepted. The check looks at the first 16 and the last 2048 bytes,
which is enough to recognise the format and to catch most truncated uploads, without keeping the
document in memory.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import EmptyDocument, UnsupportedFormat

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"

HEAD_SIZE = 16
TAIL_SIZE = 2048
MAX_JPEG_TRAILING_NULS = 16
DISPLAY_NAME_MAX = 120

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_IEND = b"IEND\xaeB`\x82"
JPEG_SOI = b"\xff\xd8\xff"
JPEG_EOI = b"\xff\xd9"

EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",),
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg"),
}

_ACCEPTED = "Les formats acceptés sont PDF, PNG et JPEG."
_RETRY = "Enregistrez à nouveau le document depuis son application d'origine, puis redéposez-le."

__all__ = ["JPEG", "PDF", "PNG", "FormatSniffer", "display_name"]


def _damaged(kind: str, detail: str) -> UnsupportedFormat:
    return UnsupportedFormat(
        f"Ce fichier {kind} semble endommagé ou incomplet (sa fin est manquante ou abîmée) : "
        f"il a été refusé. {_ACCEPTED} {_RETRY}",
        detail=detail,
    )


class FormatSniffer:
    """Recognises PDF, PNG and JPEG from a stream, keeping only its first and last bytes."""

    def __init__(self) -> None:
        self._head = b""
        self._tail = b""
        self.size = 0

    def feed(self, data: bytes) -> None:
        """Look at the next piece of the document."""
        n = len(data)
        if not n:
            return
        self.size += n
        if len(self._head) < HEAD_SIZE:
            self._head += bytes(data[: HEAD_SIZE - len(self._head)])
        if n >= TAIL_SIZE:
            self._tail = bytes(data[-TAIL_SIZE:])
        else:
            self._tail = (self._tail + bytes(data))[-TAIL_SIZE:]

    def finish(self) -> str:
        """Return the media type, or raise UnsupportedFormat / EmptyDocument."""
        head, tail = self._head, self._tail
        if not self.size:
            raise EmptyDocument(detail="no bytes received")
        if head.startswith((b"%PDF-1.", b"%PDF-2.")):
            if b"%%EOF" not in tail or b"startxref" not in tail:
                raise _damaged("PDF", "PDF without startxref/%%EOF in its last 2048 bytes")
            return PDF
        if head.startswith(PNG_SIGNATURE):
            if head[12:16] != b"IHDR":
                raise _damaged("PNG", "PNG without IHDR first")
            if not tail.endswith(PNG_IEND):
                raise _damaged("PNG", "PNG not ending with IEND")
            return PNG
        if head.startswith(JPEG_SOI):
            body = tail.rstrip(b"\x00")
            if not body.endswith(JPEG_EOI) or len(tail) - len(body) > MAX_JPEG_TRAILING_NULS:
                raise _damaged("JPEG", "JPEG not ending with EOI")
            return JPEG
        raise UnsupportedFormat(
            "Ce fichier n'a pas été accepté : ce n'est ni un PDF, ni une image PNG ou JPEG. "
            f"{_ACCEPTED} Enregistrez ou exportez votre document dans l'un de ces formats "
            "(par exemple « Imprimer en PDF »), puis déposez-le à nouveau.",
            detail=f"unrecognised signature {head[:8].hex()}",
        )


_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_SPACES = re.compile(r"\s+")


def display_name(raw: str, media_type: str) -> str:
    """Sanitise a client-supplied file name, for display only (never as a path).

    Keeps the base name, NFC-normalised, without control or bidi override characters, with
    whitespace collapsed, at most 120 characters, and an extension matching ``media_type``.
    """
    try:
        extensions = EXTENSIONS[media_type]
    except KeyError:
        raise ValueError(f"unsupported media type {media_type!r}") from None
    name = re.split(r"[/\\]", raw or "")[-1]
    name = unicodedata.normalize("NFC", name).translate(_BIDI_CONTROLS)
    name = "".join(" " if ch.isspace() else ch for ch in name)
    name = "".join(ch for ch in name if unicodedata.category(ch) != "Cc")
    name = _SPACES.sub(" ", name).strip()
    lower = name.lower()
    matched = next((ext for ext in extensions if lower.endswith(ext)), None)
    if matched:
        stem, ext = name[: -len(matched)], name[-len(matched) :]
    else:
        stem, ext = name, extensions[0]
    stem = stem.rstrip(" .")
    if not stem.strip(" ."):
        stem = "document"
    stem = stem[: DISPLAY_NAME_MAX - len(ext)].rstrip(" .")
    return stem + ext
