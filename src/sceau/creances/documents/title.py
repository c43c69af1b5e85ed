"""The executory title issued on agreement (L125-1), schedule and enforcement formula."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from reportlab.lib.units import cm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Spacer,
)

from sceau.core import pdf as pdfkit
from sceau.core.dates import PARIS, format_french_date

from .facts import ClaimFacts, Instalment, _check_schedule, _french_datetime, format_euros
from .kit import _build, _Kit
from .record import _officer_intro
from .texts import (
    BASIS_LABELS,
    ENFORCEMENT_FORMULA,
    ENFORCEMENT_HEADING,
    NBSP,
    R125_8_NOTE,
    TITLE_TITLE,
)

# --- Executory title (L125-1) ----------------------------------------------------------------


def render_title_pdf(
    f: ClaimFacts, amount: Decimal, instalments: list[Instalment], agreed_at: datetime
) -> bytes:
    """The executory title the officer issues on agreement (L125-1), ending with the formula.

    The instalments must be in chronological order and add up exactly to ``amount``. The bottom
    of the last page is left free for the visible qualified signature (arrêté du 3 juin 2016).
    """
    _check_schedule(amount, instalments)
    when = _french_datetime(agreed_at)
    kit = _Kit()
    invited = (
        "Vu l'invitation à participer à la procédure adressée au débiteur le "
        f"{format_french_date(f.invitation_sent_on)} ;"
        if f.invitation_sent_on is not None
        else "Vu l'invitation à participer à la procédure adressée au débiteur ;"
    )
    story: list[Flowable] = [
        kit.sender(f),
        Spacer(1, 0.4 * cm),
        *(kit.p(line, "centered") for line in ENFORCEMENT_HEADING),
        kit.p("Titre exécutoire", "title"),
        kit.p(
            "délivré en application des articles L. 111-3, 5°, et L. 125-1 du code des procédures "
            "civiles d'exécution — procédure simplifiée de recouvrement des petites créances",
            "subtitle",
        ),
        kit.p(f"Réf. dossier : {f.reference}", "base"),
        Spacer(1, 0.2 * cm),
        kit.markup(f"{_officer_intro(kit, f)} entre{NBSP}:"),
        kit.side_by_side(
            kit.markup(
                f"{kit.bold('Créancier')}<br/>{kit.text(f.creditor.name)}<br/>"
                f"{pdfkit.lines(f.creditor.address, kit.fonts)}",
                "base",
            ),
            kit.markup(
                f"{kit.bold('Débiteur')}<br/>{kit.text(f.debtor.name)}<br/>"
                f"{pdfkit.lines(f.debtor.address, kit.fonts)}",
                "base",
            ),
        ),
        Spacer(1, 0.3 * cm),
        kit.p(invited),
        kit.p(
            f"Vu la créance invoquée par le créancier, {BASIS_LABELS[f.basis]} "
            f"({f.description.strip().rstrip('.')}), d'un montant total de "
            f"{format_euros(f.total)}, soit "
            f"{format_euros(f.principal)} en principal et {format_euros(f.interest)} "
            "d'intérêts ;"
        ),
        KeepTogether(
            [
                kit.p(
                    "Constatons l'accord du créancier et du débiteur, recueilli le "
                    f"{when} (heure de Paris), sur le montant et les modalités du paiement, aux "
                    "termes duquel le débiteur paiera au créancier la somme de "
                    f"{format_euros(amount)} selon l'échéancier suivant :",
                    "bold",
                ),
                kit.schedule(amount, instalments),
            ]
        ),
        Spacer(1, 0.3 * cm),
        kit.p(
            "En conséquence de cet accord, délivrons le présent titre exécutoire, sans autre "
            "formalité, conformément à l'article L. 125-1 du code des procédures civiles "
            "d'exécution."
        ),
        kit.p(R125_8_NOTE, "small"),
        Spacer(1, 0.2 * cm),
        kit.signature_block(
            f,
            agreed_at.astimezone(PARIS).date(),
            "Le présent titre",
            lead=[
                kit.boxed([kit.p(ENFORCEMENT_FORMULA, "formula")]),
                Spacer(1, 0.2 * cm),
                kit.p(
                    "En foi de quoi, le présent titre exécutoire a été signé par "
                    f"{f.officer_name}, commissaire de justice, au moyen d'un certificat "
                    "électronique qualifié."
                ),
            ],
        ),
    ]
    return _build(
        story,
        title=TITLE_TITLE,
        f=f,
        dated=agreed_at,
        footer_label="Titre exécutoire",
    )
