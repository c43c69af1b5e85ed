"""The printable mention inserted in the served act so the debtor can reach their documents.

``mention_text`` gives the French paragraphs the officer pastes in the act of service;
``render_mention_pdf`` gives a one-page A4 PDF with the same text and the credentials in a box.

The PDF uses DejaVu fonts when the system has them (any Unicode name prints as written) and
falls back to the PDF standard fonts (Helvetica, Courier: Windows-1252 only, so other letters
are transliterated, "Łukasz" becoming "Lukasz"). The output is deterministic: the same mention
gives the same bytes, dated by ``issued_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from reportlab.lib import colors
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from sceau.core import pdf as pdfkit
from sceau.core.dates import PARIS, format_french_date
from sceau.core.pdf import FONT_DIRS
from sceau.identity.access import access_url as identity_access_url
from sceau.identity.codes import format_code, normalize_identifier

__all__ = [
    "FONT_DIRS",
    "PDF_TITLE",
    "AccessMention",
    "access_url",
    "mention_paragraphs",
    "mention_text",
    "render_mention_pdf",
]

PDF_TITLE = "Accès à vos pièces justificatives — Mes Pièces"


@dataclass(frozen=True)
class AccessMention:
    """What the mention prints: the office, the case, the recipient and the credentials."""

    office_name: str
    office_address: str
    officer_name: str
    dossier_reference: str
    court: str
    creditor: str
    recipient_name: str
    recipient_address: str
    public_url: str
    identifier: str
    code: str
    issued_at: datetime
    expires_on: date | None

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None or self.issued_at.utcoffset() is None:
            raise ValueError("issued_at must be an aware datetime.")


def access_url(m: AccessMention) -> str:
    """The address printed for the recipient (identity's one access address)."""
    return identity_access_url(m.public_url)


def _issued_label(issued_at: datetime) -> str:
    local = issued_at.astimezone(PARIS)
    return f"{format_french_date(local.date())} à {local.hour} h {local.minute:02d}"


def mention_paragraphs(m: AccessMention) -> list[str]:
    """The mention as a list of French paragraphs (plain text)."""
    identifier = normalize_identifier(m.identifier)
    code = format_code(m.code)
    if m.expires_on is not None:
        availability = (
            "Les documents restent consultables au moins jusqu'au "
            f"{format_french_date(m.expires_on)} inclus."
        )
    else:
        availability = (
            "La date jusqu'à laquelle les documents restent consultables est indiquée "
            "sur la page d'accès."
        )
    return [
        "Les pièces justificatives produites à l'appui de la requête en injonction de payer "
        f"présentée par {m.creditor} (dossier {m.dossier_reference}) sont mises à votre "
        "disposition par voie électronique sur le service Mes Pièces, en application de "
        "l'article 1411 du code de procédure civile et de l'arrêté du 24 février 2022.",
        f"Pour les consulter, rendez-vous à l'adresse {access_url(m)} et saisissez votre "
        f"identifiant {identifier} puis votre code personnel {code}. L'accès est gratuit ; "
        "il ne demande aucune installation de logiciel ni création de compte. Chaque document "
        "porte une empreinte numérique SHA-256, affichée sur la page, qui permet de vérifier "
        f"qu'il n'a pas été modifié. {availability}",
        "Ce code est personnel et confidentiel : conservez-le avec le présent acte et ne le "
        "communiquez qu'à la personne qui vous assiste ou vous représente.",
        "Si vous contestez la demande, vous pouvez former opposition à l'ordonnance portant "
        "injonction de payer dans le délai d'un mois prévu à l'article 1416 du code de "
        "procédure civile, qui court en principe à compter de la signification de "
        "l'ordonnance. L'opposition est formée au greffe de la juridiction dont le juge a "
        f"rendu l'ordonnance ({m.court}), soit par déclaration contre récépissé, soit par "
        "lettre recommandée avec demande d'avis de réception. Lorsque la juridiction siège en "
        "France métropolitaine, ce délai est augmenté d'un mois pour les personnes qui "
        "demeurent en outre-mer et de deux mois pour celles qui demeurent à l'étranger "
        "(article 643 du même code). La consultation des pièces ne suspend pas ce délai.",
    ]


def mention_text(m: AccessMention) -> str:
    """The mention as French text ready to paste in the act (paragraphs separated by a blank
    line)."""
    return "\n\n".join(mention_paragraphs(m))


def render_mention_pdf(m: AccessMention) -> bytes:
    """A one-page A4 PDF of the mention, with the credentials boxed in a large monospaced font."""
    fonts = pdfkit.fonts()
    styles = pdfkit.styles(fonts)
    identifier = normalize_identifier(m.identifier)
    code = format_code(m.code)

    def p(text: str, style: str) -> Paragraph:
        return Paragraph(pdfkit.printable(text, fonts), styles[style])

    sender = Paragraph(
        f"<b>{pdfkit.printable(m.office_name, fonts)}</b><br/>"
        f"{pdfkit.lines(m.office_address, fonts)}<br/>"
        f"{pdfkit.printable(m.officer_name, fonts)}, commissaire de justice",
        styles["small"],
    )
    recipient = Paragraph(
        f"<b>{pdfkit.printable(m.recipient_name, fonts)}</b><br/>"
        f"{pdfkit.lines(m.recipient_address, fonts)}",
        styles["base"],
    )
    header = Table(
        [[sender, recipient]],
        colWidths=[8.5 * cm, 8.5 * cm],
        style=TableStyle(
            [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]
        ),
    )
    case = Table(
        [
            [p("Dossier", "label"), p(m.dossier_reference, "base")],
            [p("Juridiction", "label"), p(m.court, "base")],
            [p("Créancier", "label"), p(m.creditor, "base")],
        ],
        colWidths=[3.2 * cm, 13.8 * cm],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
            ]
        ),
    )
    credentials = Table(
        [
            [p("Adresse", "label"), p(access_url(m), "url")],
            [p("Identifiant", "label"), p(identifier, "identifier")],
            [p("Code personnel", "label"), p(code, "code")],
        ],
        colWidths=[3.6 * cm, 13.0 * cm],
        style=TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#F2F2F2")),
                ("LINEBELOW", (0, 0), (-1, 1), 0.4, colors.HexColor("#9A9A9A")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 7),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 9),
            ]
        ),
    )
    story = [
        header,
        Spacer(1, 0.6 * cm),
        p(PDF_TITLE, "title"),
        case,
        Spacer(1, 0.5 * cm),
        credentials,
        Spacer(1, 0.5 * cm),
        *(p(paragraph, "body") for paragraph in mention_paragraphs(m)),
    ]

    return pdfkit.build_a4(
        story,
        title=PDF_TITLE,
        author=m.office_name,
        subject=f"Dossier {m.dossier_reference}",
        footer=(
            f"{m.office_name} — document établi le {_issued_label(m.issued_at)} (heure de Paris)"
        ),
        dated=m.issued_at,
        top_margin=1.8 * cm,
    )
