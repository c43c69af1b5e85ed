"""Shared PDF rendering helpers: fonts that print French (and any Unicode name), styles.

DejaVu fonts are used when the system has them (any Unicode name prints as written); otherwise
the PDF standard fonts (Helvetica, Courier: Windows-1252 only, so other letters are
transliterated, "Łukasz" becoming "Lukasz").
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import SimpleDocTemplate

# Where DejaVu is found on Debian/Ubuntu, Fedora/RHEL, Arch and Alpine.
FONT_DIRS: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu-sans-fonts"),
    Path("/usr/share/fonts/dejavu-sans-mono-fonts"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/share/fonts/dejavu"),
)

# Letters that Unicode does not decompose into a base letter plus accents.
_TRANSLITERATION = str.maketrans(
    {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "ı": "i", "Ħ": "H", "ħ": "h", "ŀ": "l", "Ŀ": "L"}
)


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str
    mono: str
    supports: Callable[[str], bool]


def find_font(filename: str) -> Path | None:
    return next((d / filename for d in FONT_DIRS if (d / filename).is_file()), None)


def cp1252(char: str) -> bool:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


@lru_cache(maxsize=1)
def fonts() -> Fonts:
    files = {
        "SceauSans": "DejaVuSans.ttf",
        "SceauSans-Bold": "DejaVuSans-Bold.ttf",
        "SceauMono-Bold": "DejaVuSansMono-Bold.ttf",
    }
    paths = {name: find_font(filename) for name, filename in files.items()}
    if any(path is None for path in paths.values()):
        return Fonts("Helvetica", "Helvetica-Bold", "Courier-Bold", cp1252)
    coverage: dict[str, frozenset[int]] = {}
    for name, path in paths.items():
        font = TTFont(name, str(path))
        pdfmetrics.registerFont(font)
        coverage[name] = frozenset(font.face.charToGlyph)
    # Names and text use the proportional faces; the monospaced one only prints ASCII credentials.
    frozen = coverage["SceauSans"] & coverage["SceauSans-Bold"]
    return Fonts("SceauSans", "SceauSans-Bold", "SceauMono-Bold", lambda c: ord(c) in frozen)


def substitute(text: str, fonts: Fonts) -> str:
    """``text`` with the characters the fonts cannot draw transliterated, or replaced by "?"."""
    out = []
    for char in text:
        if char in "\n\t" or fonts.supports(char):
            out.append(char)
            continue
        decomposed = unicodedata.normalize("NFKD", char.translate(_TRANSLITERATION))
        base = "".join(c for c in decomposed if not unicodedata.combining(c))
        out.append(base if base and all(fonts.supports(c) for c in base) else "?")
    return "".join(out)


def printable(text: str, fonts: Fonts) -> str:
    """``text`` made drawable and XML-escaped for a platypus paragraph."""
    return escape(substitute(text, fonts))


def lines(text: str, fonts: Fonts) -> str:
    return "<br/>".join(
        printable(line.strip(), fonts) for line in text.splitlines() if line.strip()
    )


def styles(fonts: Fonts) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=fonts.regular, fontSize=10, leading=13.5)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11),
        "body": ParagraphStyle("body", parent=base, alignment=TA_JUSTIFY, spaceAfter=6),
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontName=fonts.bold,
            fontSize=15,
            leading=19,
            alignment=TA_CENTER,
            spaceBefore=10,
            spaceAfter=12,
        ),
        "label": ParagraphStyle("label", parent=base, fontName=fonts.bold, fontSize=9.5),
        "url": ParagraphStyle("url", parent=base, fontName=fonts.mono, fontSize=12, leading=15),
        "identifier": ParagraphStyle(
            "identifier", parent=base, fontName=fonts.mono, fontSize=18, leading=23
        ),
        "code": ParagraphStyle("code", parent=base, fontName=fonts.mono, fontSize=22, leading=28),
    }


def build_a4(
    story: list,
    *,
    title: str,
    author: str,
    subject: str,
    footer: str,
    dated: datetime,
    footer_size: float = 8.0,
    footer_y: float = 1.2 * cm,
    top_margin: float = 2 * cm,
) -> bytes:
    """Lay ``story`` out on A4 (2 cm margins) with metadata and a footer with page numbers.

    The output is deterministic: ``dated`` is the PDF's creation date, and ``invariant`` mode
    leaves out random ids, so the same input gives the same bytes.
    """
    fonts_ = fonts()
    text = substitute(footer, fonts_)
    pdf_date = dated.astimezone(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")

    def on_page(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.setDateFormatter(lambda *_: pdf_date)
        canvas.saveState()
        size = footer_size
        room = doc.width - 2 * cm  # leave space for the page number
        while size > 5 and pdfmetrics.stringWidth(text, fonts_.regular, size) > room:
            size -= 0.5
        canvas.setFont(fonts_.regular, size)
        canvas.setFillColor(colors.HexColor("#444444"))
        canvas.drawString(doc.leftMargin, footer_y, text)
        canvas.drawRightString(A4[0] - doc.rightMargin, footer_y, f"Page {doc.page}")
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=top_margin,
        bottomMargin=2 * cm,
        title=title,
        author=author,
        subject=subject,
        creator="Sceau",
        producer="Sceau",
        lang="fr-FR",
        invariant=1,
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
