"""The whole Mes Pieces journey in Chromium, against a real `sceau serve`.

The officer logs in (password + TOTP), deposits a PDF through the upload page and issues a
recipient's code; the recipient logs in with that code, sees, opens and downloads exactly the
bytes that were deposited, and nothing of another dossier.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from tests import helpers
from tests.e2e.helpers import sign_in

pytestmark = [pytest.mark.browser]

TIMEOUT_MS = 15_000


def _pdf(token: str, pages: int = 3) -> bytes:
    """A few pages whose content (hence fingerprint) is unique to this run."""
    return helpers.make_pdf(
        "Relevé de compte — page {page}/{pages}",
        pages,
        more=(
            f"Jeton de test : {token}",
            f"Édité le {datetime.now().isoformat(timespec='seconds')}",
        ),
        title=f"Pièce e2e {token}",
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _shot(page: Page, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def test_officer_deposits_and_recipient_gets_the_same_bytes(
    browser, sceau_instance, shots_dir, tmp_path
):
    base = sceau_instance.base_url
    demo = sceau_instance.demo
    officer = demo["officer"]
    dossier, other_dossier = demo["dossiers"][0], demo["dossiers"][1]
    recipient = dossier["recipients"][0]

    token = secrets.token_hex(8)
    content = _pdf(token)
    expected = _sha256(content)
    name = f"releve-{token}.pdf"
    upload = tmp_path / name
    upload.write_bytes(content)

    # --- the office ------------------------------------------------------------------------
    office = browser.new_context(base_url=base, locale="fr-FR")
    office.set_default_timeout(TIMEOUT_MS)
    page = office.new_page()

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes Pièces")
    _shot(page, shots_dir, "00-accueil")

    page.goto("/connexion/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
    _shot(page, shots_dir, "01-connexion-etude")
    sign_in(page, base, officer, "/etude/")
    _shot(page, shots_dir, "02-dossiers")

    page.get_by_role("link", name=dossier["reference"], exact=True).click()
    page.wait_for_url(f"{base}/etude/dossiers/{dossier['id']}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Dossier {dossier['reference']}")
    _shot(page, shots_dir, "03-dossier")

    # Deposit through the page: upload.js posts with XHR, then reloads the dossier page.
    form = page.locator("#upload-form")
    form.locator("#file").set_input_files(upload)
    with page.expect_response(
        lambda r: (
            r.url.endswith(f"/etude/dossiers/{dossier['id']}/documents/")
            and r.request.method == "POST"
        )
    ) as posted:
        form.get_by_role("button", name="Déposer").click()
    # The progress-bar script's request (its JSON answer is gone once it navigates away).
    assert posted.value.request.headers["accept"] == "application/json"
    assert posted.value.status == 201
    expect(page.locator(".messages li.success")).to_contain_text(name)
    expect(page.locator(".messages li.success")).to_contain_text(expected)
    row = page.locator("table tbody tr", has_text=name)
    expect(row).to_have_count(1)
    expect(row.locator("td.hash")).to_have_text(expected)
    _shot(page, shots_dir, "04-dossier-apres-depot")

    page.get_by_role("link", name="Journal des opérations du dossier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Journal du dossier {dossier['reference']}"
    )
    expect(page.locator("table tbody")).to_contain_text(expected)
    _shot(page, shots_dir, "04b-journal")
    page.goto("/etude/dossiers/nouveau/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Nouveau dossier d'injonction de payer"
    )
    _shot(page, shots_dir, "04c-nouveau-dossier")
    page.goto(f"/etude/dossiers/{dossier['id']}/")

    # Issue a new code for the first recipient: the page shows it once.
    card = page.locator("section.card", has=page.get_by_role("heading", name=recipient["name"]))
    card.get_by_role(
        "button", name=re.compile(r"^(Réémettre le code|Remettre les identifiants)")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Identifiants de {recipient['name']}"
    )
    identifier = page.locator("#identifier").inner_text().strip()
    code = page.locator("#code").inner_text().strip()
    assert identifier and code
    assert code != recipient["code"]
    _shot(page, shots_dir, "05-identifiants")
    with page.expect_download() as mention:
        page.get_by_role("link", name="Télécharger la mention (PDF)").click()
    assert mention.value.suggested_filename == f"mention-{identifier}.pdf"
    mention_pdf = Path(mention.value.path()).read_bytes()
    assert mention_pdf.startswith(b"%PDF-")
    assert identifier.encode() in mention_pdf or len(mention_pdf) > 1000

    # A document of the other dossier: its id and fingerprint, as the office sees them.
    page.goto(f"/etude/dossiers/{other_dossier['id']}/")
    other_row = page.locator("table tbody tr").first
    other_name = f"facture-{other_dossier['reference']}.pdf"
    expect(other_row).to_contain_text(other_name)
    other_sha = other_row.locator("td.hash").inner_text().strip()
    action = other_row.locator("form").get_attribute("action")
    other_id = int(re.fullmatch(r"/etude/documents/(\d+)/prolonger/", action).group(1))
    office.close()

    # --- the recipient, in a fresh browser context --------------------------------------------
    visitor = browser.new_context(base_url=base, locale="fr-FR", accept_downloads=True)
    visitor.set_default_timeout(TIMEOUT_MS)
    page = visitor.new_page()
    page.goto("/acces/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Accès à votre dossier")

    # The code printed before the reissue is revoked.
    page.get_by_label("Identifiant").fill(recipient["identifier"])
    page.get_by_label("Code personnel").fill(recipient["code"])
    page.get_by_role("button", name="Accéder à mon dossier").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert page.url == f"{base}/acces/"
    _shot(page, shots_dir, "06-acces-refuse")

    page.get_by_label("Identifiant").fill(identifier)
    page.get_by_label("Code personnel").fill(code)
    page.get_by_role("button", name="Accéder à mon dossier").click()
    page.wait_for_url(f"{base}/acces/dossier/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos pièces justificatives")
    _shot(page, shots_dir, "07-vos-pieces")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone, as many recipients use
    _shot(page, shots_dir, "07b-vos-pieces-telephone")
    page.set_viewport_size({"width": 1280, "height": 720})

    item = page.locator("ul.documents li.card", has=page.get_by_role("heading", name=name))
    expect(item).to_have_count(1)
    expect(item.locator(".hash")).to_have_text(expected)
    # Nothing of the other dossier is listed.
    expect(page.locator("main")).not_to_contain_text(other_name)
    expect(page.locator("main")).not_to_contain_text(other_sha)
    expect(page.locator(f'a[href*="/acces/documents/{other_id}/"]')).to_have_count(0)

    # "Voir" opens the PDF inline in a new tab.
    view = item.get_by_role("link", name="Voir")
    view_href = view.get_attribute("href")
    assert view_href == f"/acces/documents/{_document_id(view_href)}/voir/"
    with (
        visitor.expect_event(
            "response", lambda r: r.url == f"{base}{view_href}", timeout=TIMEOUT_MS
        ) as seen,
        page.expect_popup() as popup,
    ):
        view.click()
    popup.value.wait_for_load_state()
    popup.value.wait_for_timeout(1500)  # only for the screenshot: the PDF viewer paints late
    _shot(popup.value, shots_dir, "07c-voir")
    popup.value.close()
    assert seen.value.status == 200
    assert seen.value.headers["content-type"] == "application/pdf"
    assert seen.value.headers["content-disposition"].startswith("inline;")
    # The same request with the visitor's cookies, to read the bytes served inline.
    inline = visitor.request.get(view_href)
    assert inline.status == 200
    assert inline.headers["content-type"] == "application/pdf"
    assert inline.headers["x-sceau-sha256"] == expected
    assert _sha256(inline.body()) == expected

    # "Télécharger" is an attachment with the deposited name and the same bytes.
    with page.expect_download() as downloading:
        item.get_by_role("link", name="Télécharger").click()
    download = downloading.value
    assert download.failure() is None
    assert download.suggested_filename == name
    assert _sha256(Path(download.path()).read_bytes()) == expected

    # The other dossier's document is out of reach, even by its address.
    for mode in ("voir", "telecharger"):
        refused = visitor.request.get(f"/acces/documents/{other_id}/{mode}/")
        assert refused.status == 404, (mode, refused.status)
        assert refused.headers["content-type"].startswith("text/html")
    response = page.goto(f"/acces/documents/{other_id}/voir/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("alert")).to_contain_text("ne vous est pas destiné")
    _shot(page, shots_dir, "08-document-refuse")
    visitor.close()


def _document_id(href: str) -> int:
    return int(re.fullmatch(r"/acces/documents/(\d+)/voir/", href).group(1))
