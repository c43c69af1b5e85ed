"""Tests for the mention printed in the act of service."""

import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pypdf import PdfReader

from sceau.core import pdf as pdfkit
from sceau.identity.codes import InvalidCode, generate_code, generate_identifier, normalize_code
from sceau.pieces.mention import (
    PDF_TITLE,
    AccessMention,
    access_url,
    mention_paragraphs,
    mention_text,
    render_mention_pdf,
)


@pytest.fixture
def m() -> AccessMention:
    return AccessMention(
        office_name="SCP Durand & Associés",
        office_address="12 rue de la Paix\n69002 Lyon",
        officer_name="Maître Jeanne Durand",
        dossier_reference="IP-2026-0042",
        court="tribunal judiciaire de Lyon",
        creditor="Banque Populaire d’Auvergne",
        recipient_name="Mme Hélène Lefèvre",
        recipient_address="3 allée des Tilleuls\nBât. B\n69100 Villeurbanne",
        public_url="https://mespieces.example.fr/",
        identifier=generate_identifier(),
        code=generate_code(),
        issued_at=datetime(2026, 3, 12, 13, 5, tzinfo=UTC),
        expires_on=date(2026, 6, 30),
    )


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


# --- text ------------------------------------------------------------------------------------


def test_text_contains_the_essentials(m: AccessMention) -> None:
    text = mention_text(m)
    assert m.identifier in text
    assert m.code in text
    assert "https://mespieces.example.fr/acces/" in text
    assert "tribunal judiciaire de Lyon" in text
    assert "Banque Populaire d’Auvergne" in text
    assert "IP-2026-0042" in text
    assert "article 1411 du code de procédure civile" in text
    assert "arrêté du 24 février 2022" in text
    assert "un mois" in text
    assert "1416" in text
    assert "643" in text
    assert "greffe" in text
    assert "lettre recommandée" in text
    assert "deux mois" in text
    assert "étranger" in text
    assert "SHA-256" in text
    assert "gratuit" in text
    assert "création de compte" in text
    assert "personnel et confidentiel" in text
    assert "au moins jusqu'au 30 juin 2026 inclus" in text
    assert "pièces justificatives" in text


def test_text_is_paragraphs(m: AccessMention) -> None:
    paragraphs = mention_paragraphs(m)
    assert mention_text(m) == "\n\n".join(paragraphs)
    assert all("\n" not in paragraph for paragraph in paragraphs)


def test_text_without_expiry(m: AccessMention) -> None:
    text = mention_text(replace(m, expires_on=None))
    assert "jusqu'au" not in text
    assert "inclus" not in text
    assert "indiquée sur la page d'accès" in text


def test_text_first_of_month(m: AccessMention) -> None:
    assert "jusqu'au 1er juillet 2026 inclus" in mention_text(
        replace(m, expires_on=date(2026, 7, 1))
    )


@pytest.mark.parametrize(
    "url", ["https://mespieces.example.fr", "https://mespieces.example.fr/", "https://x.fr//"]
)
def test_access_url(m: AccessMention, url: str) -> None:
    assert access_url(replace(m, public_url=url)).endswith(".fr/acces/")


def test_credentials_are_printed_in_canonical_form(m: AccessMention) -> None:
    typed = replace(m, code=m.code.lower().replace("-", " "), identifier=m.identifier.lower())
    text = mention_text(typed)
    assert m.code in text
    assert m.identifier in text


def test_invalid_code_is_never_printed(m: AccessMention) -> None:
    compact = normalize_code(m.code)
    wrong = compact[:-1] + ("2" if compact[-1] != "2" else "3")
    with pytest.raises(InvalidCode):
        mention_text(replace(m, code=wrong))
    with pytest.raises(InvalidCode):
        render_mention_pdf(replace(m, code=wrong))


def test_naive_issued_at_is_refused(m: AccessMention) -> None:
    with pytest.raises(ValueError, match="aware"):
        replace(m, issued_at=datetime(2026, 3, 12, 14, 5))


# --- PDF -------------------------------------------------------------------------------------


def test_pdf_content(m: AccessMention) -> None:
    pdf = render_mention_pdf(m)
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4
    text = pdf_text(pdf)
    assert m.code in text
    assert m.identifier in text
    assert "https://mespieces.example.fr/acces/" in text
    assert PDF_TITLE in text
    for word in ("pièces", "Accès", "récépissé", "Créancier", "Hélène Lefèvre", "d’Auvergne"):
        assert word in text
    assert "SCP Durand & Associés" in text
    assert "tribunal judiciaire de Lyon" in text
    assert "IP-2026-0042" in text


def test_pdf_footer_uses_paris_time(m: AccessMention) -> None:
    text = pdf_text(render_mention_pdf(m))
    # 13:05 UTC on 12 March 2026 is 14:05 in Paris (winter time).
    assert "établi le 12 mars 2026 à 14 h 05 (heure de Paris)" in text
    summer = replace(m, issued_at=datetime(2026, 7, 1, 6, 30, tzinfo=timezone(timedelta(hours=-4))))
    assert "le 1er juillet 2026 à 12 h 30" in pdf_text(render_mention_pdf(summer))


def test_pdf_metadata(m: AccessMention) -> None:
    reader = PdfReader(io.BytesIO(render_mention_pdf(m)))
    assert reader.metadata is not None
    assert reader.metadata.title == PDF_TITLE
    assert reader.metadata.author == "SCP Durand & Associés"
    assert reader.metadata["/CreationDate"] == "D:20260312130500+00'00'"
    assert m.code not in str(dict(reader.metadata))


def test_pdf_is_deterministic(m: AccessMention) -> None:
    assert render_mention_pdf(m) == render_mention_pdf(m)
    assert render_mention_pdf(m) != render_mention_pdf(replace(m, code=generate_code()))


def test_pdf_escapes_markup(m: AccessMention) -> None:
    tricky = replace(m, recipient_name="<b>Dupont</b> & Fils", creditor="A <font> & B")
    text = pdf_text(render_mention_pdf(tricky))
    assert "<b>Dupont</b> & Fils" in text
    assert "A <font> & B" in text


def test_pdf_long_url_stays_on_one_page(m: AccessMention) -> None:
    long = replace(m, public_url="https://" + "tres-long-sous-domaine." * 6 + "example.fr")
    pdf = render_mention_pdf(long)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1


def test_pdf_without_expiry(m: AccessMention) -> None:
    assert "indiquée sur la page" in pdf_text(render_mention_pdf(replace(m, expires_on=None)))


def test_pdf_with_standard_fonts(m: AccessMention, standard_fonts: None) -> None:
    assert pdfkit.fonts().regular == "Helvetica"
    polish = replace(m, recipient_name="M. Łukasz Wałęsa — Nguyễn 中")
    text = pdf_text(render_mention_pdf(polish))
    assert m.code in text
    assert m.identifier in text
    for word in ("pièces", "Accès", "récépissé", "d’Auvergne", "Mes Pièces"):
        assert word in text
    assert "M. Lukasz Walesa — Nguyen ?" in text
    assert "■" not in text


def test_pdf_with_dejavu_keeps_unicode_names(m: AccessMention) -> None:
    if pdfkit.fonts().regular == "Helvetica":
        pytest.skip("DejaVu fonts are not installed")
    polish = replace(m, recipient_name="M. Łukasz Wałęsa 中")
    text = pdf_text(render_mention_pdf(polish))
    assert "M. Łukasz Wałęsa ?" in text
