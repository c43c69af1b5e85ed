"""Tests for the Petites créances documents: invitation, end-of-procedure record, executory title.

The PDFs are read back with pypdf: every mandatory mention must be in the extracted text, the
debtor's code only on the invitation, and the bottom-right corner of the last page of the signed
documents must stay free for the visible PAdES stamp.
"""

from __future__ import annotations

import ast
import io
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from sceau.core import pdf as pdfkit
from sceau.creances import documents
from sceau.creances.documents import (
    CPCE_TEXTS,
    ENFORCEMENT_FORMULA,
    INVITATION_TITLE,
    OUTCOME_LABELS,
    RECORD_TITLE,
    TITLE_TITLE,
    ClaimFacts,
    Instalment,
    Party,
    format_euros,
    invitation_text,
    render_invitation_pdf,
    render_record_pdf,
    render_title_pdf,
)
from sceau.notary.signatures import STAMP_MARGIN, STAMP_SIZE

CODE = "K7M-4QX-9RT-2WN-HB5-C8D"
IDENTIFIER = "PC-7KQ-M4X-2ZT"
CLOSED_AT = datetime(2026, 3, 17, 8, 0, tzinfo=UTC)  # 9 h 00 in Paris
AGREED_AT = datetime(2026, 3, 2, 13, 5, tzinfo=UTC)  # 14 h 05 in Paris
FAILURES = ["refused_participation", "no_agreement_in_time", "terms_refused"]


@pytest.fixture
def facts() -> ClaimFacts:
    return ClaimFacts(
        reference="PC-2026-000012",
        office_name="SELARL Étude Mériadec & Associés",
        office_address="14 rue Sainte-Catherine\n33000 Bordeaux",
        officer_name="Maître Éloïse Lefèvre",
        creditor=Party(
            "Société Générale des Eaux Côtières", "2 quai des Chartrons\n33000 Bordeaux"
        ),
        debtor=Party(
            "M. François Müller-Œhlenschläger",
            "7 allée des Pins\nRésidence Les Églantines\n33600 Pessac",
        ),
        basis="contractual",
        description="Factures impayées n° 2025-114 et 2025-131 (entretien de chaudière).",
        principal=Decimal("1234.56"),
        interest=Decimal("45.10"),
        filed_on=date(2026, 2, 10),
        invitation_sent_on=date(2026, 2, 16),
        answer_deadline=date(2026, 3, 16),
        public_url="http://127.0.0.1:8000",
        identifier=IDENTIFIER,
        code=CODE,
    )


@pytest.fixture
def schedule() -> tuple[Decimal, list[Instalment]]:
    return Decimal("1279.66"), [
        Instalment(date(2026, 4, 5), Decimal("400.00")),
        Instalment(date(2026, 5, 5), Decimal("400.00")),
        Instalment(date(2026, 6, 5), Decimal("479.66")),
    ]


def raw_text(pdf: bytes) -> str:
    """The text of every page, without the running footer (office, reference, page number)."""
    reader = PdfReader(io.BytesIO(pdf))
    office = reader.metadata.author
    return "\n".join(
        line
        for page in reader.pages
        for line in page.extract_text().splitlines()
        if not line.startswith(f"{office} — ") and not re.fullmatch(r"Page \d+", line)
    )


def flat(text: str) -> str:
    """Whitespace (line breaks, no-break spaces) collapsed to single spaces."""
    return " ".join(text.split())


def pdf_text(pdf: bytes) -> str:
    return flat(raw_text(pdf))


def record(f: ClaimFacts, outcome: str, agreement=None, detail: str = "") -> bytes:
    return render_record_pdf(f, outcome, CLOSED_AT, detail, agreement)


# --- formatting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("1234.56", "1\u00a0234,56\u00a0€"),
        ("1234567.8", "1\u00a0234\u00a0567,80\u00a0€"),
        ("999", "999,00\u00a0€"),
        ("0.5", "0,50\u00a0€"),
        ("4999.995", "5\u00a0000,00\u00a0€"),
        ("-1500", "-1\u00a0500,00\u00a0€"),
    ],
)
def test_format_euros_is_french(amount: str, expected: str) -> None:
    assert format_euros(Decimal(amount)) == expected


@pytest.mark.usefixtures("standard_fonts")
def test_standard_fonts_draw_the_separators_too() -> None:
    fonts = pdfkit.fonts()
    assert fonts.regular == "Helvetica"
    assert all(fonts.supports(c) for c in "\u00a0€àâçéèêëîïôûùüÿœÉÈÀ")


def test_fonts_draw_the_amount_characters() -> None:
    fonts = pdfkit.fonts()
    for char in "\u00a0€0123456789,":
        assert fonts.supports(char), repr(char)
    # Nothing is transliterated or replaced by "?".
    assert pdfkit.substitute(format_euros(Decimal("1234.56")), fonts) == "1\u00a0234,56\u00a0€"


def test_amounts_are_never_broken_across_lines(facts: ClaimFacts) -> None:
    text = raw_text(render_invitation_pdf(facts)).replace("\u00a0", " ")
    for amount in ("1 234,56 €", "45,10 €", "1 279,66 €"):
        assert amount in text


# --- invitation ------------------------------------------------------------------------------


def test_invitation_has_every_mandatory_mention(facts: ClaimFacts) -> None:
    text = pdf_text(render_invitation_pdf(facts))
    mentions = [
        # officer, creditor, debtor (R125-2 I)
        "Maître Éloïse Lefèvre",
        "SELARL Étude Mériadec & Associés",
        "14 rue Sainte-Catherine",
        "33000 Bordeaux",
        "Société Générale des Eaux Côtières",
        "2 quai des Chartrons",
        "M. François Müller-Œhlenschläger",
        "Résidence Les Églantines",
        "33600 Pessac",
        "PC-2026-000012",
        # basis and amount split into principal and interest
        "créance ayant une cause contractuelle",
        "Factures impayées n° 2025-114 et 2025-131",
        "Montant en principal 1 234,56 €",
        "Montant des intérêts 45,10 €",
        "Total réclamé 1 279,66 €",
        # the reproduced texts (R125-2 II)
        "Article L. 111-2 du code des procédures civiles d'exécution",
        "constatant une créance liquide et exigible",
        "Article L. 111-3 du code des procédures civiles d'exécution",
        "Seuls constituent des titres exécutoires",
        "dans les conditions prévues à l'article L. 125-1",
        "Article L. 125-1 du code des procédures civiles d'exécution",
        "à la charge exclusive du créancier",
        "Article 2238 du code civil",
        "pour une durée qui ne peut être inférieure à six mois",
        # accept or refuse, one month, deadline, silence, court (R125-2 III)
        "libre d'accepter ou de refuser",
        "dans un délai d'un mois à compter de l'envoi de la présente lettre",
        "16 février 2026",
        "au plus tard le 16 mars 2026",
        "silence vaut refus",
        "refus implicite",
        "le créancier pourra saisir le juge afin d'obtenir un titre exécutoire",
        "formulaire de refus",
        # free for the debtor
        "gratuite pour vous",
        # how to answer
        "http://127.0.0.1:8000/acces/",
        IDENTIFIER,
        CODE,
        "contre émargement",
        "Formulaire d'acceptation",
        "Formulaire de refus",
    ]
    missing = [m for m in mentions if m not in text]
    assert not missing, missing


def test_invitation_reproduces_the_four_texts_in_full(facts: ClaimFacts) -> None:
    text = pdf_text(render_invitation_pdf(facts))
    assert set(CPCE_TEXTS) == {"L111-2", "L111-3", "L125-1", "2238"}
    for key, article in CPCE_TEXTS.items():
        assert flat(article) in text, key


def test_reproduced_texts_have_their_distinctive_wording() -> None:
    assert "créance liquide et exigible" in CPCE_TEXTS["L111-2"]
    assert "5° Le titre délivré par l'huissier de justice" in CPCE_TEXTS["L111-3"]
    assert "L'accord du débiteur, constaté par l'huissier de justice" in CPCE_TEXTS["L125-1"]
    assert "délivre, sans autre formalité, un titre exécutoire" in CPCE_TEXTS["L125-1"]
    assert "procédure prévue à l'article L. 125-1" in CPCE_TEXTS["2238"]
    assert CPCE_TEXTS["2238"].count("inférieure à six mois") == 3


def test_module_says_the_texts_must_be_checked_against_legifrance() -> None:
    source = Path(documents.__file__).read_text(encoding="utf-8")
    assert "MUST be checked word for word" in source
    assert "Légifrance" in source


def test_invitation_text_is_the_letter_without_the_code(facts: ClaimFacts) -> None:
    paragraphs = invitation_text(facts)
    joined = "\n".join(paragraphs)
    assert CODE not in joined
    assert CODE.replace("-", "") not in joined.replace("-", "")
    assert IDENTIFIER in joined
    assert "http://127.0.0.1:8000/acces/" in joined
    assert "au plus tard le 16 mars 2026" in joined
    assert "silence vaut refus" in joined
    assert "gratuite pour vous" in joined
    assert "– Montant en principal : 1\u00a0234,56\u00a0€" in paragraphs
    for key in CPCE_TEXTS:
        assert documents.CPCE_TEXT_TITLES[key] in paragraphs
        for alinea in CPCE_TEXTS[key].split("\n"):
            assert alinea in paragraphs


def test_invitation_text_without_identifier_still_explains_online_access(
    facts: ClaimFacts,
) -> None:
    joined = "\n".join(invitation_text(replace(facts, identifier=None, code=None)))
    assert "http://127.0.0.1:8000/acces/" in joined
    assert "courrier recommandé" in joined


def test_invitation_for_a_statutory_claim(facts: ClaimFacts) -> None:
    text = pdf_text(render_invitation_pdf(replace(facts, basis="statutory")))
    assert "créance résultant d'une obligation de caractère statutaire" in text
    assert "cause contractuelle d'un montant" not in text


def test_invitation_writes_the_first_of_the_month_the_french_way(facts: ClaimFacts) -> None:
    f = replace(facts, invitation_sent_on=date(2026, 3, 1), answer_deadline=date(2026, 4, 1))
    text = pdf_text(render_invitation_pdf(f))
    assert "au plus tard le 1er avril 2026" in text
    assert "1er mars 2026" in text


@pytest.mark.parametrize(
    "change",
    [
        {"answer_deadline": None},
        {"invitation_sent_on": None},
        {"answer_deadline": date(2026, 2, 16)},
        {"code": None},
        {"identifier": None},
        {"public_url": ""},
    ],
)
def test_invitation_refuses_missing_facts(facts: ClaimFacts, change: dict) -> None:
    with pytest.raises(ValueError):
        render_invitation_pdf(replace(facts, **change))


def test_unknown_basis_is_refused(facts: ClaimFacts) -> None:
    with pytest.raises(ValueError, match="basis"):
        replace(facts, basis="tort")


# --- the code appears on the invitation only -------------------------------------------------


def test_code_only_on_the_invitation(
    facts: ClaimFacts, schedule: tuple[Decimal, list[Instalment]]
) -> None:
    amount, instalments = schedule
    others = [
        *(record(facts, outcome) for outcome in FAILURES),
        record(facts, "agreement", schedule),
        render_title_pdf(facts, amount, instalments, AGREED_AT),
    ]
    assert CODE in pdf_text(render_invitation_pdf(facts))
    for pdf in others:
        text = pdf_text(pdf)
        assert CODE not in text
        assert CODE.replace("-", "") not in text.replace("-", "")


# --- record of the end of the procedure ------------------------------------------------------


def test_outcome_labels_are_the_four_of_r125_5() -> None:
    assert OUTCOME_LABELS == {
        "refused_participation": "refus du débiteur de participer à la procédure",
        "no_agreement_in_time": "expiration du délai d'un mois sans accord",
        "terms_refused": "refus exprès des modalités de paiement proposées",
        "agreement": "accord du créancier et du débiteur sur le montant et les modalités de "
        "paiement",
    }


@pytest.mark.parametrize("outcome", FAILURES)
def test_record_of_a_failure(facts: ClaimFacts, outcome: str) -> None:
    text = pdf_text(record(facts, outcome, detail="Refus exprimé par courriel du 3 mars 2026."))
    label = OUTCOME_LABELS[outcome]
    assert label[0].upper() + label[1:] in text
    for other, other_label in OUTCOME_LABELS.items():
        if other != outcome:
            assert other_label[1:] not in text, other
    assert f"{documents.OUTCOME_NUMBERS[outcome]} " in text
    assert "Procès-verbal de fin de procédure" in text
    assert "article R. 125-5" in text
    assert "17 mars 2026 à 9 h 00 (heure de Paris)" in text
    assert "Refus exprimé par courriel du 3 mars 2026." in text
    # the claim facts
    for fact in (
        "PC-2026-000012",
        "Société Générale des Eaux Côtières",
        "M. François Müller-Œhlenschläger",
        "1 234,56 €",
        "45,10 €",
        "1 279,66 €",
        "16 février 2026",
        "16 mars 2026",
    ):
        assert fact in text
    # what comes next: court, and the limitation period (Civil Code 2238)
    assert "le créancier peut saisir le juge afin d'obtenir un titre exécutoire" in text
    assert "ne peut être inférieure à six mois (article 2238 du code civil)" in text
    assert "Échéance" not in text


def test_record_of_an_agreement(
    facts: ClaimFacts, schedule: tuple[Decimal, list[Instalment]]
) -> None:
    text = pdf_text(record(facts, "agreement", schedule))
    assert "4° Accord du créancier et du débiteur sur le montant et les modalités de paiement" in (
        text
    )
    assert "paiement de la somme de 1 279,66 €" in text
    for row in ("1 5 avril 2026 400,00 €", "2 5 mai 2026 400,00 €", "3 5 juin 2026 479,66 €"):
        assert row in text
    assert "Total 1 279,66 €" in text
    assert "titre exécutoire constatant cet accord est délivré par acte séparé" in text
    assert "saisir le juge" not in text
    assert "Précisions" not in text  # no detail given


def test_record_checks_outcome_and_agreement(
    facts: ClaimFacts, schedule: tuple[Decimal, list[Instalment]]
) -> None:
    with pytest.raises(ValueError, match="Unknown outcome"):
        record(facts, "withdrawn")
    with pytest.raises(ValueError, match="needs the agreed amount"):
        record(facts, "agreement")
    with pytest.raises(ValueError, match="Only an agreement"):
        record(facts, "terms_refused", schedule)
    with pytest.raises(ValueError, match="aware"):
        render_record_pdf(facts, "terms_refused", datetime(2026, 3, 17, 9, 0), "", None)


# --- executory title -------------------------------------------------------------------------


def test_title_contains_the_agreement_formula_and_r125_8(
    facts: ClaimFacts, schedule: tuple[Decimal, list[Instalment]]
) -> None:
    amount, instalments = schedule
    text = pdf_text(render_title_pdf(facts, amount, instalments, AGREED_AT))
    assert "RÉPUBLIQUE FRANÇAISE AU NOM DU PEUPLE FRANÇAIS" in text
    assert "Titre exécutoire" in text
    assert "PC-2026-000012" in text
    for party in (
        "Société Générale des Eaux Côtières",
        "2 quai des Chartrons",
        "M. François Müller-Œhlenschläger",
        "33600 Pessac",
    ):
        assert party in text
    assert "recueilli le 2 mars 2026 à 14 h 05 (heure de Paris)" in text
    assert "la somme de 1 279,66 € selon l'échéancier suivant" in text
    for row in ("1 5 avril 2026 400,00 €", "2 5 mai 2026 400,00 €", "3 5 juin 2026 479,66 €"):
        assert row in text
    assert "Total 1 279,66 €" in text
    assert (
        "En conséquence, la République française mande et ordonne à tous commissaires de "
        "justice, sur ce requis, de mettre ledit titre à exécution, aux procureurs généraux et "
        "aux procureurs de la République près les tribunaux judiciaires d'y tenir la main, à "
        "tous commandants et officiers de la force publique de prêter main-forte lorsqu'ils en "
        "seront légalement requis." in text
    )
    assert flat(ENFORCEMENT_FORMULA) in text
    assert "Maître Éloïse Lefèvre, commissaire de justice" in text
    assert "article R. 125-8" in text
    assert "ne peut pas procéder à son exécution forcée" in text
    assert "certificat électronique qualifié" in text


def test_title_formula_comes_after_the_schedule(
    facts: ClaimFacts, schedule: tuple[Decimal, list[Instalment]]
) -> None:
    amount, instalments = schedule
    text = pdf_text(render_title_pdf(facts, amount, instalments, AGREED_AT))
    assert text.index("5 juin 2026") < text.index("la République française mande et ordonne")
    assert text.index("mande et ordonne") < text.index("Fait le 2 mars 2026")


def test_title_with_a_long_schedule(facts: ClaimFacts) -> None:
    instalments = [
        Instalment(date(2026, 4, 5) + timedelta(days=30 * n), Decimal("53.32")) for n in range(24)
    ]
    amount = sum((i.amount for i in instalments), Decimal(0))
    text = pdf_text(render_title_pdf(facts, amount, instalments, AGREED_AT))
    assert text.count("53,32 €") == 24
    assert f"Total {format_euros(amount).replace(chr(160), ' ')}" in text


@pytest.mark.parametrize(
    ("amount", "instalments", "message"),
    [
        ("1279.65", None, "add up"),
        ("0", [], "positive"),
        ("100", [], "at least one"),
        (
            "800",
            [
                Instalment(date(2026, 5, 5), Decimal("400")),
                Instalment(date(2026, 4, 5), Decimal("400")),
            ],
            "chronological",
        ),
    ],
)
def test_title_checks_the_schedule(
    facts: ClaimFacts,
    schedule: tuple[Decimal, list[Instalment]],
    amount: str,
    instalments: list[Instalment] | None,
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        render_title_pdf(
            facts, Decimal(amount), schedule[1] if instalments is None else instalments, AGREED_AT
        )


def test_instalment_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Instalment(date(2026, 4, 5), Decimal("0"))


# --- determinism, metadata, accents ----------------------------------------------------------


def all_three(f: ClaimFacts, schedule: tuple[Decimal, list[Instalment]]) -> list[bytes]:
    amount, instalments = schedule
    return [
        render_invitation_pdf(f),
        record(f, "agreement", schedule, "Accord recueilli sur la plateforme."),
        render_title_pdf(f, amount, instalments, AGREED_AT),
    ]


def test_same_input_same_bytes(
    facts: ClaimFacts, schedule: tuple[Decimal, list[Instalment]]
) -> None:
    first = all_three(facts, schedule)
    assert first == all_three(facts, schedule)
    other = all_three(replace(facts, reference="PC-2026-000013"), schedule)
    assert all(a != b for a, b in zip(first, other, strict=True))


def test_bytes_do_not_depend_on_the_time_zone_of_the_datetimes(
    facts: ClaimFacts, schedule: tuple[Decimal, list[Instalment]]
) -> None:
    amount, instalments = schedule
    plus_one = timezone(timedelta(hours=1))
    assert render_title_pdf(facts, amount, instalments, AGREED_AT) == render_title_pdf(
        facts, amount, instalments, AGREED_AT.astimezone(plus_one)
    )


def test_metadata(facts: ClaimFacts, schedule: tuple[Decimal, list[Instalment]]) -> None:
    titles = [INVITATION_TITLE, RECORD_TITLE, TITLE_TITLE]
    created = [
        datetime(2026, 2, 15, 23, 0, tzinfo=UTC),  # midnight in Paris on the sending day
        CLOSED_AT,
        AGREED_AT,
    ]
    for pdf, title, when in zip(all_three(facts, schedule), titles, created, strict=True):
        meta = PdfReader(io.BytesIO(pdf)).metadata
        assert meta.title == title
        assert meta.author == "SELARL Étude Mériadec & Associés"
        assert meta.subject == "PC-2026-000012"
        assert meta.creation_date == when


def test_accented_characters_survive_extraction(
    facts: ClaimFacts, schedule: tuple[Decimal, list[Instalment]]
) -> None:
    invitation, rec, title = (pdf_text(pdf) for pdf in all_three(facts, schedule))
    for word in ("Éloïse", "Müller-Œhlenschläger", "Côtières", "Églantines", "Mériadec"):
        for text in (invitation, rec, title):
            assert word in text
    for word in ("procédure", "créances", "œuvre", "exécutoire", "intérêts", "à", "€"):
        assert word in invitation
    for word in ("Procès-verbal", "Échéance", "reçue"):
        assert word in rec
    for word in ("RÉPUBLIQUE FRANÇAISE", "délivrons", "main-forte"):
        assert word in title


@pytest.mark.usefixtures("standard_fonts")
def test_accents_survive_with_the_standard_fonts(
    facts: ClaimFacts, schedule: tuple[Decimal, list[Instalment]]
) -> None:
    f = replace(facts, debtor=Party("M. Łukasz Müller-Œhlenschläger", "7 allée des Pins"))
    invitation, rec, title = (pdf_text(pdf) for pdf in all_three(f, schedule))
    assert "Lukasz Müller-Œhlenschläger" in invitation  # Ł is not in Windows-1252
    for text in (invitation, rec, title):
        assert "Éloïse Lefèvre" in text
        assert "1 279,66 €" in text
    assert "la République française mande et ordonne" in title


# --- room for the visible signature ----------------------------------------------------------


def text_positions(page) -> list[tuple[float, float, str]]:
    """(x, y) of each piece of text drawn on ``page``, in page coordinates."""
    found: list[tuple[float, float, str]] = []

    def visit(text, cm, tm, font_dict, font_size) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((x, y, text))

    page.extract_text(visitor_text=visit)
    return found


def stamp_box() -> tuple[float, float, float, float]:
    """Where sceau.notary.signatures draws the visible stamp on an A4 page."""
    width, height = STAMP_SIZE
    x2 = 595 - STAMP_MARGIN
    return x2 - width, STAMP_MARGIN, x2, STAMP_MARGIN + height


@pytest.mark.parametrize("length", [1, 40])
def test_last_page_keeps_room_for_the_signature_stamp(
    facts: ClaimFacts, schedule: tuple[Decimal, list[Instalment]], length: int
) -> None:
    f = replace(facts, description=" ".join(["Facture impayée n° 2025-114."] * length))
    amount, instalments = schedule
    pdfs = [
        *(record(f, outcome) for outcome in FAILURES),
        record(f, "agreement", schedule, "Précisions.\n" * length),
        render_title_pdf(f, amount, instalments, AGREED_AT),
    ]
    _x1, y1, _x2, y2 = stamp_box()
    for pdf in pdfs:
        last = PdfReader(io.BytesIO(pdf)).pages[-1]
        positions = text_positions(last)
        assert positions
        # Text lines (baselines) either sit in the footer, under the stamp, or well above it.
        for x, y, text in positions:
            assert y < y1 - 8 or y > y2 + 12, (x, y, text)
        body = [y for _, y, _ in positions if y > y1]
        assert min(body) > y2 + 12


def test_documents_module_does_not_import_django() -> None:
    tree = ast.parse(Path(documents.__file__).read_text(encoding="utf-8"))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    assert not [m for m in modules if m == "django" or m.startswith(("django.", "sceau.creances"))]
