"""Format sniffing on real files, and display names."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image
from tests import helpers

from sceau.vault.errors import EmptyDocument, UnsupportedFormat
from sceau.vault.formats import JPEG, PDF, PNG, FormatSniffer, display_name


def make_pdf(pages: int = 1) -> bytes:
    return helpers.make_pdf("Procès-verbal de signification, page {page}", pages)


def make_image(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    """A noisy RGB image, so that it does not compress to almost nothing."""
    buf = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buf, format=fmt)
    return buf.getvalue()


HAND_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
    b"trailer<</Size 3/Root 1 0 R>>\nstartxref\n97\n%%EOF\n"
)


def sniff(data: bytes, piece: int = 4096) -> str:
    sniffer = FormatSniffer()
    for i in range(0, len(data), piece):
        sniffer.feed(data[i : i + piece])
    return sniffer.finish()


@pytest.mark.parametrize("piece", [1, 7, 2048, 4096, 1 << 20])
def test_real_files_recognised(piece: int) -> None:
    assert sniff(make_pdf(3), piece) == PDF
    assert sniff(HAND_PDF, piece) == PDF
    assert sniff(make_image("PNG"), piece) == PNG
    assert sniff(make_image("JPEG"), piece) == JPEG


def test_large_image_with_tail_beyond_first_pieces() -> None:
    data = make_image("PNG", (600, 400))
    assert len(data) > 2048
    assert sniff(data, 1000) == PNG


def test_pdf_2_header() -> None:
    assert sniff(HAND_PDF.replace(b"%PDF-1.4", b"%PDF-2.0")) == PDF


@pytest.mark.parametrize("cut", [10, 100, 0.5, 0.95])
def test_truncated_pdf_refused(cut: float) -> None:
    data = make_pdf(5)
    n = int(cut * len(data)) if isinstance(cut, float) else cut
    with pytest.raises(UnsupportedFormat) as info:
        sniff(data[:n])
    assert info.value.code == "unsupported_format"
    assert "endommagé" in info.value.message
    assert "PDF, PNG et JPEG" in info.value.message


def test_truncated_images_refused() -> None:
    for fmt in ("PNG", "JPEG"):
        data = make_image(fmt, (200, 200))
        with pytest.raises(UnsupportedFormat, match="endommagé"):
            sniff(data[: len(data) // 2])


def test_png_without_ihdr_refused() -> None:
    data = bytearray(make_image("PNG"))
    data[12:16] = b"XXXX"
    with pytest.raises(UnsupportedFormat):
        sniff(bytes(data))


def test_jpeg_trailing_nuls() -> None:
    data = make_image("JPEG")
    assert sniff(data + b"\x00" * 16) == JPEG
    with pytest.raises(UnsupportedFormat):
        sniff(data + b"\x00" * 17)
    with pytest.raises(UnsupportedFormat):
        sniff(data + b"\n")


@pytest.mark.parametrize(
    "data",
    [
        b"Bonjour, ceci est un fichier texte.\n" * 100,
        b"GIF89a" + b"\x00" * 100,
        b"PK\x03\x04" + b"\x00" * 100,  # zip / docx
        b"<html><body>%PDF-1.4</body></html>",
        b"x",
    ],
)
def test_other_formats_refused(data: bytes) -> None:
    with pytest.raises(UnsupportedFormat) as info:
        sniff(data)
    assert "PDF, PNG et JPEG" in info.value.message
    assert info.value.detail


def test_empty_refused() -> None:
    with pytest.raises(EmptyDocument) as info:
        FormatSniffer().finish()
    assert info.value.code == "empty_document"
    sniffer = FormatSniffer()
    sniffer.feed(b"")
    with pytest.raises(EmptyDocument):
        sniffer.finish()


def test_sniffer_keeps_little_memory() -> None:
    sniffer = FormatSniffer()
    for _ in range(100):
        sniffer.feed(b"z" * 65536)
    assert len(sniffer._head) == 16  # type: ignore[attr-defined]
    assert len(sniffer._tail) == 2048  # type: ignore[attr-defined]
    assert sniffer.size == 100 * 65536


@pytest.mark.parametrize(
    ("raw", "media_type", "expected"),
    [
        ("acte.pdf", PDF, "acte.pdf"),
        ("C:\\Users\\me\\Documents\\Acte.PDF", PDF, "Acte.PDF"),
        ("/home/me/scan.png", PNG, "scan.png"),
        ("photo.jpeg", JPEG, "photo.jpeg"),
        ("photo.JPG", JPEG, "photo.JPG"),
        ("photo", JPEG, "photo.jpg"),
        ("facture.exe", PDF, "facture.exe.pdf"),
        ("scan.png", PDF, "scan.png.pdf"),
        ("", PDF, "document.pdf"),
        ("   ", PNG, "document.png"),
        (".pdf", PDF, "document.pdf"),
        ("dir/", PDF, "document.pdf"),
        ("..", PDF, "document.pdf"),
        ("a\tb\n c\r\nd.pdf", PDF, "a b c d.pdf"),
        ("bell\x07\x00.pdf", PDF, "bell.pdf"),
        ("facture\u202egnp.exe", PDF, "facturegnp.exe.pdf"),
        ("x\u2066y\u2069z.png", PNG, "xyz.png"),
        ("Proce\u0300s-verbal.pdf", PDF, "Procès-verbal.pdf"),
        ("  many    spaces  .pdf", PDF, "many spaces.pdf"),
    ],
)
def test_display_name(raw: str, media_type: str, expected: str) -> None:
    assert display_name(raw, media_type) == expected


def test_display_name_nfc() -> None:
    assert display_name("Proce\u0300s.pdf", PDF) == "Proc\u00e8s.pdf"


def test_display_name_trimmed_to_120_keeping_extension() -> None:
    name = display_name("é" * 300 + ".pdf", PDF)
    assert len(name) == 120
    assert name.endswith(".pdf")
    name = display_name("a" * 300, JPEG)
    assert len(name) == 120
    assert name.endswith("a.jpg")


def test_display_name_unknown_media_type() -> None:
    with pytest.raises(ValueError):
        display_name("x.gif", "image/gif")
