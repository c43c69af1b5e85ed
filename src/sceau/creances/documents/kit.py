"""PDF building blocks in the house style (A4, DejaVu, French spacing, tables)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from sceau.core import pdf as pdfkit
from sceau.core.dates import PARIS, format_french_date

from .facts import (
    CONTENT_WIDTH,
    FOOTER_Y,
    SIGNATURE_ROOM,
    ClaimFacts,
    Instalment,
    Party,
    _check_schedule,
    format_euros,
)
from .texts import BASIS_LABELS, NBSP

# --- PDF building blocks ---------------------------------------------------------------------

# French typography: a no-break space before the high punctuation and inside the guillemets, so
# that a line never starts with ":", ";", "?", "!" or "»".
_FRENCH_PAIRS = (
    (" :", NBSP + ":"),
    (" ;", NBSP + ";"),
    (" ?", NBSP + "?"),
    (" !", NBSP + "!"),
    ("« ", "«" + NBSP),
    (" »", NBSP + "»"),
)


def _french_spacing(value: str) -> str:
    for plain, bound in _FRENCH_PAIRS:
        value = value.replace(plain, bound)
    return value


class _Kit:
    """Fonts, styles and small paragraph builders shared by the three documents.

    Bold runs use an explicit ``<font face=...>`` rather than ``<b>``: the DejaVu faces are not
    registered as a reportlab font family, and registering one here would change, process-wide,
    how other documents of the platform render.
    """

    def __init__(self) -> None:
        self.fonts = pdfkit.fonts()
        self.styles = pdfkit.styles(self.fonts)
        base = self.styles["base"]
        body = self.styles["body"]
        self.styles.update(
            {
                "plain": ParagraphStyle("plain", parent=base, spaceAfter=6),
                "bold": ParagraphStyle("bold", parent=body, fontName=self.fonts.bold),
                "formula": ParagraphStyle(
                    "formula", parent=base, fontName=self.fonts.bold, fontSize=10.5, leading=15
                ),
                "bullet": ParagraphStyle(
                    "bullet", parent=base, leftIndent=14, bulletIndent=4, spaceAfter=3
                ),
                "heading": ParagraphStyle(
                    "heading",
                    parent=base,
                    fontName=self.fonts.bold,
                    fontSize=11.5,
                    leading=15,
                    spaceBefore=10,
                    spaceAfter=6,
                ),
                "article_title": ParagraphStyle(
                    "article_title",
                    parent=base,
                    fontName=self.fonts.bold,
                    fontSize=9.5,
                    leading=12.5,
                    spaceBefore=6,
                    spaceAfter=2,
                ),
                "article": ParagraphStyle(
                    "article", parent=self.styles["small"], leftIndent=10, spaceAfter=2
                ),
                "centered": ParagraphStyle(
                    "centered", parent=base, fontName=self.fonts.bold, alignment=TA_CENTER
                ),
                "subtitle": ParagraphStyle(
                    "subtitle", parent=self.styles["small"], alignment=TA_CENTER, spaceAfter=10
                ),
            }
        )

    def text(self, value: str) -> str:
        """``value`` made drawable, XML-escaped and spaced the French way."""
        return pdfkit.printable(_french_spacing(value), self.fonts)

    def bold(self, escaped: str) -> str:
        return f'<font face="{self.fonts.bold}">{escaped}</font>'

    def p(self, value: str, style: str = "body") -> Paragraph:
        return Paragraph(self.text(value), self.styles[style])

    def markup(self, markup: str, style: str = "body") -> Paragraph:
        """A paragraph from markup whose variable parts were already passed through ``text``."""
        return Paragraph(markup, self.styles[style])

    def multiline(self, value: str, style: str = "base") -> Paragraph:
        return Paragraph(pdfkit.lines(_french_spacing(value), self.fonts), self.styles[style])

    def party(self, party: Party, style: str = "base") -> Paragraph:
        return Paragraph(
            f"{self.bold(self.text(party.name))}<br/>{pdfkit.lines(party.address, self.fonts)}",
            self.styles[style],
        )

    def sender(self, f: ClaimFacts) -> Paragraph:
        return Paragraph(
            f"{self.bold(self.text(f.office_name))}<br/>"
            f"{pdfkit.lines(f.office_address, self.fonts)}<br/>"
            f"{self.text(f.officer_name)}, commissaire de justice",
            self.styles["small"],
        )

    def cells(self, rows: Sequence[Sequence[str]]) -> list[list[str]]:
        """Plain table cells (drawn as-is, so no escaping): made drawable only."""
        return [[pdfkit.substitute(cell, self.fonts) for cell in row] for row in rows]

    def rows(self, rows: Iterable[tuple[str, str]]) -> Table:
        """A two-column table of labelled facts (values may span several lines)."""
        return Table(
            [[self.p(label, "label"), self.multiline(value)] for label, value in rows],
            colWidths=[4.6 * cm, CONTENT_WIDTH - 4.6 * cm],
            hAlign="LEFT",
            style=TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -2), 0.3, colors.HexColor("#BBBBBB")),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            ),
        )

    def amounts(self, rows: Sequence[tuple[str, str]]) -> Table:
        """Labels on the left, amounts right-aligned; the last row (a total) in bold."""
        return Table(
            self.cells(rows),
            colWidths=[7.0 * cm, 3.6 * cm],
            hAlign="LEFT",
            style=TableStyle(
                [
                    ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                    ("FONTNAME", (0, 0), (-1, -1), self.fonts.regular),
                    ("FONTNAME", (0, -1), (-1, -1), self.fonts.bold),
                    ("FONTSIZE", (0, 0), (-1, -1), 10),
                    ("LINEABOVE", (0, -1), (-1, -1), 0.6, colors.black),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            ),
        )

    def schedule(self, amount: Decimal, instalments: Sequence[Instalment]) -> Table:
        """The agreed schedule: number, due date, amount, then the total (equal to ``amount``)."""
        _check_schedule(amount, instalments)
        head = ["N°", "Échéance", "Montant"]
        body = [
            [str(n), format_french_date(i.due), format_euros(i.amount)]
            for n, i in enumerate(instalments, start=1)
        ]
        total = ["", "Total", format_euros(amount)]
        return Table(
            self.cells([head, *body, total]),
            colWidths=[1.4 * cm, 5.2 * cm, 3.6 * cm],
            hAlign="LEFT",
            repeatRows=1,
            style=TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), self.fonts.regular),
                    ("FONTNAME", (0, 0), (-1, 0), self.fonts.bold),
                    ("FONTNAME", (0, -1), (-1, -1), self.fonts.bold),
                    ("FONTSIZE", (0, 0), (-1, -1), 9.5),
                    ("ALIGN", (2, 0), (2, -1), "RIGHT"),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                    ("LINEABOVE", (0, -1), (-1, -1), 0.6, colors.black),
                    (
                        "ROWBACKGROUNDS",
                        (0, 1),
                        (-1, -2),
                        [colors.white, colors.HexColor("#F4F4F4")],
                    ),
                    ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
                ]
            ),
        )

    def boxed(self, flowables: list[Flowable]) -> Table:
        return Table(
            [[flowables]],
            colWidths=[CONTENT_WIDTH],
            hAlign="LEFT",
            style=TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 1.2, colors.black),
                    ("LEFTPADDING", (0, 0), (-1, -1), 8),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                    ("TOPPADDING", (0, 0), (-1, -1), 6),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                ]
            ),
        )

    def side_by_side(self, left: Flowable, right: Flowable) -> Table:
        half = CONTENT_WIDTH / 2
        return Table(
            [[left, right]],
            colWidths=[half, half],
            hAlign="LEFT",
            style=TableStyle(
                [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]
            ),
        )

    def signature_block(
        self, f: ClaimFacts, done_on: date, what: str, lead: Sequence[Flowable] = ()
    ) -> KeepTogether:
        """The closing lines, kept together with the free room the visible signature needs.

        The room (``SIGNATURE_ROOM``) is the last flowable of the story, so the last line of
        text always ends above the stamp that PAdES signing draws at the bottom of the last
        page.
        """
        return KeepTogether(
            [
                *lead,
                Spacer(1, 0.3 * cm),
                self.p(f"Fait le {format_french_date(done_on)}.", "base"),
                Spacer(1, 0.2 * cm),
                self.markup(
                    f"Le commissaire de justice, {self.bold(self.text(f.officer_name))}<br/>"
                    f"{self.text(f.office_name)}",
                    "base",
                ),
                self.p(
                    f"{what} est signé électroniquement par le commissaire de justice au moyen "
                    "d'un certificat électronique qualifié ; le cachet de signature figure en bas "
                    "de la dernière page.",
                    "small",
                ),
                Spacer(1, SIGNATURE_ROOM),
            ]
        )


def _build(
    story: list[Flowable],
    *,
    title: str,
    f: ClaimFacts,
    dated: datetime,
    footer_label: str,
) -> bytes:
    """Lay ``story`` out on A4 with the house margins, metadata and a footer on every page."""
    return pdfkit.build_a4(
        story,
        title=title,
        author=f.office_name,
        subject=f.reference,
        footer=f"{f.office_name} — {footer_label} — Réf. {f.reference}",
        dated=dated,
        footer_size=7.5,
        footer_y=FOOTER_Y,
    )


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=PARIS)


def _capitalized(value: str) -> str:
    return value[:1].upper() + value[1:]


def _claim_rows(f: ClaimFacts) -> list[tuple[str, str]]:
    rows = [
        ("Dossier", f.reference),
        ("Créancier", f"{f.creditor.name}\n{f.creditor.address}"),
        ("Débiteur", f"{f.debtor.name}\n{f.debtor.address}"),
        ("Fondement", _capitalized(BASIS_LABELS[f.basis])),
        ("Objet de la créance", f.description),
        ("Principal", format_euros(f.principal)),
        ("Intérêts", format_euros(f.interest)),
        ("Total réclamé", format_euros(f.total)),
        ("Demande reçue le", format_french_date(f.filed_on)),
    ]
    if f.invitation_sent_on is not None:
        rows.append(("Invitation envoyée le", format_french_date(f.invitation_sent_on)))
    if f.answer_deadline is not None:
        rows.append(("Fin du délai d'un mois", format_french_date(f.answer_deadline)))
    return rows
