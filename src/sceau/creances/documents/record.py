"""The record of the end of the procedure (R125-5): which of the four outcomes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from reportlab.lib.units import cm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Spacer,
)

from sceau.core.dates import PARIS, format_french_date

from .facts import ClaimFacts, Instalment, _french_datetime, _one_line, format_euros
from .kit import _build, _capitalized, _claim_rows, _Kit
from .texts import NBSP, OUTCOME_LABELS, OUTCOME_NUMBERS, RECORD_TITLE

# --- Record of the end of the procedure (R125-5) ---------------------------------------------


def _officer_intro(kit: _Kit, f: ClaimFacts) -> str:
    """ "Nous, <officer>, commissaire de justice, <office>, à qui <creditor> a demandé, le ...,
    de mettre en œuvre la procédure ..." (markup)."""
    return (
        f"Nous, {kit.bold(kit.text(f.officer_name))}, commissaire de justice, "
        f"{kit.text(f.office_name)}, {kit.text(_one_line(f.office_address))}, à qui "
        f"{kit.text(f.creditor.name)} a demandé, le {kit.text(format_french_date(f.filed_on))}, "
        "de mettre en œuvre la procédure simplifiée de recouvrement des petites créances prévue "
        "à l'article L. 125-1 du code des procédures civiles d'exécution,"
    )


def render_record_pdf(
    f: ClaimFacts,
    outcome: str,
    closed_at: datetime,
    detail: str,
    agreement: tuple[Decimal, list[Instalment]] | None,
) -> bytes:
    """The officer's written record that the procedure ended, and why (R125-5 1° to 4°).

    ``outcome`` is a key of ``OUTCOME_LABELS``; ``agreement`` (amount, schedule) is required for
    "agreement" and refused for the other outcomes. ``detail`` is printed as the officer's
    remarks when not empty. The bottom of the last page is left free for the visible signature.
    """
    if outcome not in OUTCOME_LABELS:
        raise ValueError(f"Unknown outcome {outcome!r}: expected one of {list(OUTCOME_LABELS)}.")
    if outcome == "agreement" and agreement is None:
        raise ValueError("An agreement record needs the agreed amount and schedule.")
    if outcome != "agreement" and agreement is not None:
        raise ValueError("Only an agreement has an agreed amount and schedule.")
    when = _french_datetime(closed_at)
    kit = _Kit()
    label = f"{OUTCOME_NUMBERS[outcome]} {_capitalized(OUTCOME_LABELS[outcome])}"
    story: list[Flowable] = [
        kit.sender(f),
        Spacer(1, 0.4 * cm),
        kit.p("Procès-verbal de fin de procédure", "title"),
        kit.p(
            "Procédure simplifiée de recouvrement des petites créances — article R. 125-5 du "
            "code des procédures civiles d'exécution",
            "subtitle",
        ),
        kit.markup(
            f"{_officer_intro(kit, f)} constatons que cette procédure a pris fin le "
            f"{kit.text(when)} (heure de Paris), pour le motif suivant{NBSP}:"
        ),
        Spacer(1, 0.1 * cm),
        kit.boxed([kit.p(label, "label")]),
        Spacer(1, 0.3 * cm),
    ]
    if detail.strip():
        story += [kit.p("Précisions", "label"), kit.multiline(detail, "body")]
    story += [kit.p("La créance", "heading"), kit.rows(_claim_rows(f))]
    if agreement is not None:
        amount, instalments = agreement
        story += [
            KeepTogether(
                [
                    kit.p("L'accord", "heading"),
                    kit.p(
                        "Le créancier et le débiteur se sont accordés sur le paiement de la somme "
                        f"de {format_euros(amount)}, selon l'échéancier suivant :"
                    ),
                    kit.schedule(amount, instalments),
                ]
            ),
            Spacer(1, 0.3 * cm),
            kit.p(
                "Le titre exécutoire constatant cet accord est délivré par acte séparé, sans "
                "autre formalité (article L. 125-1 du code des procédures civiles d'exécution)."
            ),
        ]
    else:
        story.append(
            KeepTogether(
                [
                    kit.p("Suites", "heading"),
                    kit.p(
                        "La procédure simplifiée de recouvrement n'ayant pas abouti à un accord, "
                        "le créancier peut saisir le juge afin d'obtenir un titre exécutoire."
                    ),
                    kit.p(
                        "Prescription : lorsque le débiteur avait accepté de participer à la "
                        "procédure, la prescription, suspendue à compter de son accord constaté "
                        "par le commissaire de justice, recommence à courir à compter de la "
                        "présente constatation, pour une durée qui ne peut être inférieure à six "
                        "mois (article 2238 du code civil)."
                    ),
                ]
            )
        )
    story.append(
        kit.signature_block(f, closed_at.astimezone(PARIS).date(), "Le présent procès-verbal")
    )
    return _build(
        story,
        title=RECORD_TITLE,
        f=f,
        dated=closed_at,
        footer_label="Procès-verbal de fin de procédure",
    )
