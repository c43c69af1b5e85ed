"""Petites créances in Chromium, against a real `sceau serve`: three people, three browsers.

(a) The agreement path: the demo creditor files a claim, the officer accepts the mandate and
records the invitation, the debtor signs in with the identifier and code, accepts to take part,
then both parties accept the officer's two-instalment proposal; the officer signs the executory
title with the TEST certificate, and the creditor downloads it: `sceau pdf validate` accepts it.

(b) The silence path: an invitation sent more than a month ago, `sceau worker --once` turns the
debtor's silence into a refusal, both parties see the notice, the officer signs the record of
refusal and the creditor downloads it.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from tests.e2e.helpers import sign_in

pytestmark = [pytest.mark.browser]

TIMEOUT_MS = 15_000
CONSENT_START = "En accédant pour la première fois à la plateforme Petites créances"


def _shot(page: Page, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def _context(browser, base: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(base_url=base, locale="fr-FR", accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def _debtor_sign_in(page: Page, base: str, identifier: str, code: str) -> None:
    page.goto("/acces/")
    page.get_by_label("Identifiant").fill(identifier)
    page.get_by_label("Code personnel").fill(code)
    page.get_by_role("button", name="Accéder à mon dossier").click()
    page.wait_for_url(f"{base}/creances/debiteur/")


def _file_claim(page: Page, base: str, debtor: str, principal: str) -> int:
    """The creditor files a claim with the demo office; returns its id (consent given)."""
    page.get_by_role("link", name="Déposer une demande").click()
    page.wait_for_url(f"{base}/creances/nouvelle/")
    office = page.get_by_label("Étude de commissaires de justice que vous mandatez")
    expect(office.locator("option").nth(1)).to_contain_text("Étude Démo")
    office.select_option(index=1)
    page.get_by_label("Votre adresse postale").fill("8 quai Saint-Vincent\n69001 Lyon")
    page.get_by_label("Nom du débiteur").fill(debtor)
    page.get_by_label("Adresse du débiteur").fill("14 rue Mercière\n69002 Lyon")
    page.get_by_label("Code postal du domicile du débiteur").fill("69002")
    page.get_by_label("Origine contractuelle").check()
    page.get_by_label("Fondement et description").fill("Facture n° 2026-118 du 3 mars, impayée.")
    page.get_by_label("Montant en principal").fill(principal)
    page.get_by_label("Intérêts").fill("35,50")
    page.get_by_role("button", name="Transmettre la demande à l'étude").click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/creances/\d+/$"))
    claim_id = int(re.search(r"/creances/(\d+)/$", page.url).group(1))
    # First opening: the consent to electronic exchange, then the case.
    expect(page.locator("#texte-consentement")).to_contain_text(CONSENT_START)
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(debtor)
    expect(page.locator("#etape")).to_have_text("demande transmise à l'étude")
    return claim_id


def _accept_mandate_and_invite(page: Page, base: str, claim_id: int, sent_on: date):
    page.goto(f"/etude/creances/{claim_id}/")
    page.get_by_role("button", name="Accepter le mandat").click()
    expect(page.locator("#etape")).to_have_text("mandat accepté, invitation à envoyer")
    page.get_by_label("Date d'envoi de l'invitation").fill(sent_on.isoformat())
    page.get_by_label("Envoyée par").select_option("post")
    page.get_by_role("button", name="Enregistrer l'envoi et obtenir les identifiants").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Identifiants du débiteur")
    identifier = page.locator("#identifier").inner_text().strip()
    code = page.locator("#code").inner_text().strip()
    assert identifier and code
    with page.expect_download() as letter:
        page.get_by_role("link", name="Télécharger la lettre d'invitation (PDF)").click()
    assert Path(letter.value.path()).read_bytes().startswith(b"%PDF-")
    return identifier, code


def _record_outcome(page: Page, claim_id: int, outcome: str, passphrase: str) -> None:
    page.goto(f"/etude/creances/{claim_id}/")
    expect(page.get_by_label("Issue de la procédure")).to_have_value(outcome)
    page.get_by_label("Phrase secrète ou code PIN").fill(passphrase)
    page.get_by_role("button", name="Signer et enregistrer la fin de la procédure").click()
    expect(page.locator(".messages li.success")).to_contain_text("Fin de la procédure enregistrée")
    expect(page.locator("#etape")).to_have_text("procédure terminée")


def _download(page: Page, link: str, folder: Path) -> Path:
    with page.expect_download() as downloading:
        page.get_by_role("link", name=link).click()
    download = downloading.value
    assert download.failure() is None
    path = folder / download.suggested_filename
    download.save_as(path)
    return path


def test_agreement_path_to_a_valid_executory_title(browser, sceau_instance, shots_dir, tmp_path):
    base = sceau_instance.base_url
    demo = sceau_instance.demo
    officer = demo["officer"]

    # --- the creditor files the claim ------------------------------------------------------
    creditor_ctx, creditor = _context(browser, base)
    sign_in(creditor, base, demo["creditor"], "/creances/")
    expect(creditor.get_by_role("heading", level=1)).to_have_text("Mes petites créances")
    # An ineligible claim is explained (debtor's domicile outside the office's area).
    creditor.goto("/creances/nouvelle/")
    creditor.get_by_label("Étude de commissaires de justice que vous mandatez").select_option(
        index=1
    )
    creditor.get_by_label("Votre adresse postale").fill("8 quai Saint-Vincent\n69001 Lyon")
    creditor.get_by_label("Nom du débiteur").fill("Hors Ressort")
    creditor.get_by_label("Adresse du débiteur").fill("1 rue de Rivoli\n75001 Paris")
    creditor.get_by_label("Code postal du domicile du débiteur").fill("75001")
    creditor.get_by_label("Fondement et description").fill("Facture impayée.")
    creditor.get_by_label("Montant en principal").fill("100")
    creditor.get_by_label("Intérêts").fill("0")
    creditor.get_by_role("button", name="Transmettre la demande à l'étude").click()
    expect(creditor.get_by_role("alert")).to_contain_text("ressort de la cour d'appel")
    _shot(creditor, shots_dir, "pc-01-demande-refusee")
    creditor.goto("/creances/")
    claim_id = _file_claim(creditor, base, "Lucien Débiteur", "1200,00")
    expect(creditor.locator("main")).to_contain_text("indicatif")
    _shot(creditor, shots_dir, "pc-02-creancier-dossier")

    # --- the officer: mandate and invitation -----------------------------------------------
    office_ctx, office = _context(browser, base)
    sign_in(office, base, officer, "/etude/")
    office.get_by_role("link", name="Petites créances").click()
    review = office.locator(
        "section", has=office.get_by_role("heading", name=re.compile("^À examiner"))
    )
    review.get_by_role("link", name=re.compile(r"^PC-")).first.click()
    assert office.url == f"{base}/etude/creances/{claim_id}/"
    _shot(office, shots_dir, "pc-03-etude-a-examiner")
    identifier, code = _accept_mandate_and_invite(office, base, claim_id, date.today())
    sceau_instance.secrets.append(code)  # checked absent from the server log at the end
    _shot(office, shots_dir, "pc-04-identifiants-debiteur")

    # --- the debtor accepts to take part ---------------------------------------------------
    debtor_ctx, debtor = _context(browser, base)
    _debtor_sign_in(debtor, base, identifier, code)
    expect(debtor.locator("#texte-consentement")).to_contain_text(CONSENT_START)
    expect(debtor.locator("main")).to_contain_text("gratuite pour vous")
    expect(debtor.locator("#total")).to_have_text("1235,50 €")
    _shot(debtor, shots_dir, "pc-05-debiteur-invitation")
    debtor.get_by_role("button", name="Accepter de participer").click()
    expect(debtor.locator("#etape")).to_have_text("le débiteur accepte de participer : négociation")

    # --- the officer proposes two instalments ----------------------------------------------
    office.goto(f"/etude/creances/{claim_id}/")
    office.get_by_label("Montant total proposé").fill("1200,00")
    for n, (days, amount) in enumerate(((20, "600,00"), (50, "600,00")), 1):
        due = (date.today() + timedelta(days=days)).isoformat()
        office.get_by_label(f"Date de l'échéance {n}", exact=True).fill(due)
        office.get_by_label(f"Montant de l'échéance {n}", exact=True).fill(amount)
    office.get_by_role("button", name="Transmettre la proposition").click()
    expect(office.locator(".messages li.success")).to_contain_text("Proposition transmise")
    _shot(office, shots_dir, "pc-06-etude-proposition")

    # --- both parties accept ---------------------------------------------------------------
    creditor.goto(f"/creances/{claim_id}/")
    creditor.get_by_role("button", name="Accepter la proposition").click()
    expect(creditor.locator(".messages li.success")).to_contain_text("accepté la proposition")
    debtor.goto("/creances/debiteur/")
    debtor.get_by_role("button", name="Accepter la proposition").click()
    expect(debtor.locator("#etape")).to_have_text("accord des parties, titre exécutoire à délivrer")
    _shot(debtor, shots_dir, "pc-07-debiteur-accord")

    # --- the officer signs; the creditor downloads a valid title --------------------------
    _record_outcome(office, claim_id, "agreement", officer["signing_passphrase_test_pki"])
    _shot(office, shots_dir, "pc-08-etude-titre-signe")
    creditor.goto(f"/creances/{claim_id}/")
    expect(creditor.locator("#etape")).to_have_text("procédure terminée")
    title = _download(creditor, "Télécharger le titre exécutoire (PDF)", tmp_path)
    assert title.name.startswith("titre-executoire-PC-") and title.read_bytes().startswith(b"%PDF")
    checked = sceau_instance.sceau("pdf", "validate", str(title))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "VALIDE" in checked.stdout and "NON VALIDE" not in checked.stdout
    _shot(creditor, shots_dir, "pc-09-creancier-titre")
    # The debtor gets the title too.
    debtor.goto("/creances/debiteur/")
    mine = tmp_path / "debiteur"
    mine.mkdir()
    copy = _download(debtor, "Télécharger le titre exécutoire (PDF)", mine)
    assert copy.read_bytes() == title.read_bytes()
    for context in (creditor_ctx, office_ctx, debtor_ctx):
        context.close()


def test_silence_at_the_deadline_ends_in_a_signed_record(
    browser, sceau_instance, shots_dir, tmp_path
):
    base = sceau_instance.base_url
    demo = sceau_instance.demo
    officer = demo["officer"]

    creditor_ctx, creditor = _context(browser, base)
    sign_in(creditor, base, demo["creditor"], "/creances/")
    claim_id = _file_claim(creditor, base, "Sylvie Silencieuse", "800,00")

    # The claim was filed six weeks ago (the sending date may not precede the filing).
    with sqlite3.connect(sceau_instance.data_dir / "sceau.sqlite3", timeout=30) as db:
        db.execute(
            "UPDATE creances_claim SET filed_on = ? WHERE id = ?",
            ((date.today() - timedelta(days=45)).isoformat(), claim_id),
        )

    office_ctx, office = _context(browser, base)
    sign_in(office, base, officer, "/etude/")
    identifier, code = _accept_mandate_and_invite(
        office, base, claim_id, date.today() - timedelta(days=40)
    )
    sceau_instance.secrets.append(code)
    office.goto(f"/etude/creances/{claim_id}/")
    expect(office.locator("#etape")).to_have_text(
        "invitation envoyée, en attente de la réponse du débiteur"
    )

    worked = sceau_instance.sceau("worker", "--once")
    assert worked.returncode == 0, worked.stdout + worked.stderr
    assert "petites créances : 1 silence(s)" in worked.stdout, worked.stdout

    refused = "le débiteur refuse de participer (ou n'a pas répondu à temps)"
    office.goto(f"/etude/creances/{claim_id}/")
    expect(office.locator("#etape")).to_have_text(refused)
    expect(office.locator("#table-avis")).to_contain_text("silence du débiteur")
    _shot(office, shots_dir, "pc-10-etude-silence")

    creditor.goto(f"/creances/{claim_id}/")
    expect(creditor.locator("#etape")).to_have_text(refused)
    expect(creditor.locator("#table-avis")).to_contain_text("silence du débiteur à l'échéance")

    debtor_ctx, debtor = _context(browser, base)
    _debtor_sign_in(debtor, base, identifier, code)
    expect(debtor.locator("#etape")).to_have_text(refused)
    expect(debtor.locator("#table-avis")).to_contain_text("silence du débiteur à l'échéance")
    expect(debtor.get_by_role("button", name="Accepter de participer")).to_have_count(0)
    _shot(debtor, shots_dir, "pc-11-debiteur-silence")

    _record_outcome(
        office, claim_id, "refused_participation", officer["signing_passphrase_test_pki"]
    )
    creditor.goto(f"/creances/{claim_id}/")
    expect(creditor.locator("#etape")).to_have_text("procédure terminée")
    expect(creditor.locator("main")).to_contain_text("refus de participer")
    expect(creditor.get_by_role("link", name=re.compile("titre exécutoire"))).to_have_count(0)
    record = _download(creditor, "Télécharger le procès-verbal de fin de procédure (PDF)", tmp_path)
    checked = sceau_instance.sceau("pdf", "validate", str(record))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    _shot(creditor, shots_dir, "pc-12-creancier-proces-verbal")
    for context in (creditor_ctx, office_ctx, debtor_ctx):
        context.close()
