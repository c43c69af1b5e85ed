"""The invitation PDF (R125-2), with the debtor's credentials and the answer forms."""

from __future__ import annotations

from datetime import date

from reportlab.lib import colors
from reportlab.lib.units import cm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from sceau.core.dates import format_french_date

from .facts import CONTENT_WIDTH, ClaimFacts, _one_line, access_url
from .kit import _build, _Kit, _midnight
from .letter import _invitation_parts, _require_invitation_facts
from .texts import CPCE_TEXT_TITLES, CPCE_TEXTS, INVITATION_TITLE

# --- Invitation PDF --------------------------------------------------------------------------


def render_invitation_pdf(f: ClaimFacts) -> bytes:
    """The invitation letter (R125-2) with the credentials boxed, then the two answer forms.

    Requires the sending date, the answer deadline, the platform address, the identifier and the
    code: this PDF is the only place where the code is ever written.
    """
    sent_on, deadline = _require_invitation_facts(f)
    if not (f.public_url and f.identifier and f.code):
        raise ValueError("The invitation needs the platform address, the identifier and the code.")
    kit = _Kit()
    story: list[Flowable] = [
        kit.side_by_side(kit.sender(f), kit.party(f.debtor)),
        Spacer(1, 0.5 * cm),
        kit.p(f"Réf. dossier : {f.reference}", "base"),
        kit.p(f"Le {format_french_date(sent_on)}", "base"),
        kit.p("Lettre recommandée avec demande d'avis de réception", "label"),
        Spacer(1, 0.3 * cm),
    ]
    amount_rows: list[tuple[str, str]] = []
    # The reproduced texts, laid out after the letter in groups kept together (KeepTogether
    # cannot be nested: an inner one always looks too tall to the outer one).
    texts: list[list[Flowable]] = []
    for kind, value in _invitation_parts(f):
        if kind != "amount" and amount_rows:
            story += [kit.amounts(amount_rows), Spacer(1, 0.15 * cm)]
            amount_rows = []
        if kind == "header":
            continue
        if kind == "amount":
            amount_rows.append(value)  # type: ignore[arg-type]
        elif kind in ("subject", "strong"):
            story.append(kit.p(str(value), "bold"))
        elif kind == "p":
            # After the heading, paragraphs belong to the section of the reproduced texts.
            (texts[-1] if texts else story).append(kit.p(str(value)))
        elif kind == "bullet":
            story.append(Paragraph(kit.text(str(value)), kit.styles["bullet"], bulletText="–"))
        elif kind == "box":
            story += [Spacer(1, 0.15 * cm), _credentials_box(kit, f, deadline), Spacer(1, 0.3 * cm)]
        elif kind == "closing":
            story += [Spacer(1, 0.2 * cm), kit.p(str(value))]
        elif kind == "signoff":
            story.append(kit.markup(kit.bold(kit.text(str(value))), "base"))
        elif kind == "heading":
            texts.append([Spacer(1, 0.4 * cm), kit.p(str(value), "heading")])
        elif kind == "article":
            key = str(value)
            block: list[Flowable] = [kit.p(CPCE_TEXT_TITLES[key], "article_title")]
            block += [kit.p(alinea, "article") for alinea in CPCE_TEXTS[key].split("\n")]
            texts.append(block)
        elif kind == "note":
            texts[-1] += [Spacer(1, 0.2 * cm), kit.p(str(value), "small")]
    # The heading and its introduction stay with the first article; the note with the last one.
    if len(texts) > 1:
        texts[:2] = [texts[0] + texts[1]]
    story += [KeepTogether(group) for group in texts]
    story += [PageBreak(), *_answer_forms(kit, f, deadline)]
    return _build(
        story,
        title=INVITATION_TITLE,
        f=f,
        dated=_midnight(sent_on),
        footer_label="Invitation à participer à la procédure",
    )


def _credentials_box(kit: _Kit, f: ClaimFacts, deadline: date) -> KeepTogether:
    """The boxed block of the online answer: address, identifier, personal code."""
    table = Table(
        [
            [
                kit.p("Répondre en ligne", "label"),
                kit.p(f"au plus tard le {format_french_date(deadline)}", "base"),
            ],
            [kit.p("Adresse", "label"), kit.p(access_url(f), "url")],
            [kit.p("Identifiant", "label"), kit.p(str(f.identifier), "identifier")],
            [kit.p("Code personnel", "label"), kit.p(str(f.code), "code")],
        ],
        colWidths=[4.4 * cm, CONTENT_WIDTH - 4.4 * cm],
        hAlign="LEFT",
        style=TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#F2F2F2")),
                ("LINEBELOW", (0, 0), (-1, 2), 0.4, colors.HexColor("#9A9A9A")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        ),
    )
    return KeepTogether([table])


def _answer_forms(kit: _Kit, f: ClaimFacts, deadline: date) -> list[Flowable]:
    """The acceptance and refusal forms that accompany the letter (R125-2 III)."""
    until = format_french_date(deadline)
    office = f"{f.office_name}, {_one_line(f.office_address)}"

    def form(title: str, statement: str, advice: str) -> Table:
        return kit.boxed(
            [
                kit.p(title, "heading"),
                kit.p(f"À remettre ou à renvoyer à : {office}", "plain"),
                kit.p(f"Réf. dossier : {f.reference}", "plain"),
                kit.p(f"Débiteur : {f.debtor.name}, {_one_line(f.debtor.address)}", "plain"),
                kit.p(f"Créancier : {f.creditor.name}", "plain"),
                kit.p(statement, "bold"),
                kit.p(advice, "small"),
                Spacer(1, 0.3 * cm),
                kit.p(
                    "Fait à ............................................, le "
                    "........................................",
                    "base",
                ),
                Spacer(1, 0.3 * cm),
                kit.p("Signature :", "base"),
                Spacer(1, 1.6 * cm),
            ]
        )

    return [
        form(
            "Formulaire d'acceptation",
            "Je soussigné(e) déclare accepter de participer à la procédure simplifiée de "
            "recouvrement des petites créances mise en œuvre à la demande du créancier "
            "ci-dessus désigné.",
            f"Votre accord doit être manifesté au plus tard le {until}. Un courrier postal peut "
            "mettre plusieurs jours à parvenir à l'étude : vous pouvez aussi répondre en ligne "
            "ou vous présenter à l'étude.",
        ),
        Spacer(1, 0.8 * cm),
        form(
            "Formulaire de refus",
            "Je soussigné(e) déclare refuser de participer à la procédure simplifiée de "
            "recouvrement des petites créances mise en œuvre à la demande du créancier "
            "ci-dessus désigné.",
            "Vous pouvez aussi manifester votre refus en ligne ou par tout autre moyen. Sans "
            f"réponse de votre part au plus tard le {until}, votre silence vaudra refus.",
        ),
    ]
