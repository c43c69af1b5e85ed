"""The pages, with personas: the officer, an outsider officer, recipients, anonymous."""

import hashlib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.helpers import PASSWORD, deposit, make_pdf, otp_for

from sceau.journal.models import JournalEntry
from sceau.pieces.models import Document

pytestmark = pytest.mark.django_db


def logged_in(user, offset=0) -> Client:
    client = Client()
    answer = client.post(
        "/connexion/", {"email": user.email, "password": PASSWORD, "otp": otp_for(user, offset)}
    )
    assert answer.status_code == 302, answer.content.decode()
    return client


def test_home_and_login_pages_render_in_french():
    for url in ("/", "/connexion/", "/acces/"):
        answer = Client().get(url)
        assert answer.status_code == 200
        assert '<html lang="fr">' in answer.content.decode()
        assert answer["Content-Security-Policy"].startswith("default-src 'self'")
        assert "unsafe-inline" not in answer["Content-Security-Policy"]


def test_officer_login_failure_is_generic_and_4xx(world):
    answer = Client().post(
        "/connexion/", {"email": world.officer.email, "password": "bad", "otp": "123456"}
    )
    assert answer.status_code == 401
    assert "Identifiants incorrects" in answer.content.decode()


def test_anonymous_is_sent_to_login_and_outsider_gets_404(world):
    assert Client().get(f"/etude/dossiers/{world.dossier.pk}/").status_code == 302
    outsider = logged_in(world.outsider)
    for url in (
        f"/etude/dossiers/{world.dossier.pk}/",
        f"/etude/dossiers/{world.dossier.pk}/journal/",
    ):
        assert outsider.get(url).status_code == 404
    answer = outsider.post(f"/etude/destinataires/{world.recipient_a.pk}/identifiants/")
    assert answer.status_code == 404


def test_officer_deposits_through_the_page_and_issues_credentials(world):
    officer = logged_in(world.officer)
    page = officer.get(f"/etude/dossiers/{world.dossier.pk}/")
    assert page.status_code == 200 and "Déposer un document" in page.content.decode()
    data = make_pdf("dépôt web")
    answer = officer.post(
        f"/etude/dossiers/{world.dossier.pk}/documents/",
        {"file": SimpleUploadedFile("web.pdf", data)},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["sha256"] == hashlib.sha256(data).hexdigest()
    page = officer.get(f"/etude/dossiers/{world.dossier.pk}/").content.decode()
    assert hashlib.sha256(data).hexdigest() in page
    answer = officer.post(f"/etude/destinataires/{world.recipient_a.pk}/identifiants/")
    html = answer.content.decode()
    identifier = re.search(r'id="identifier">([^<]+)<', html).group(1)
    code = re.search(r'id="code">([^<]+)<', html).group(1)
    assert "data:application/pdf;base64," in html

    recipient = Client()
    answer = recipient.post("/acces/", {"identifier": identifier, "code": code})
    assert answer.status_code == 302
    listing = recipient.get("/acces/dossier/").content.decode()
    assert hashlib.sha256(data).hexdigest() in listing and "opposition" in listing
    doc = Document.objects.get(sha256=hashlib.sha256(data).hexdigest())
    view = recipient.get(f"/acces/documents/{doc.pk}/voir/")
    assert view.status_code == 200 and b"".join(view.streaming_content) == data
    assert view["Content-Disposition"].startswith("inline")
    assert "sandbox" in view["Content-Security-Policy"]


def test_web_upload_refusal_is_a_clear_4xx(world):
    officer = logged_in(world.officer)
    answer = officer.post(
        f"/etude/dossiers/{world.dossier.pk}/documents/",
        {"file": SimpleUploadedFile("notes.txt", b"hello")},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 415 and "PDF" in answer.json()["message"]
    answer = officer.post(
        f"/etude/dossiers/{world.dossier.pk}/documents/",
        {"file": SimpleUploadedFile("notes.txt", b"hello")},
    )
    assert answer.status_code == 415 and "PDF" in answer.content.decode()


def test_upload_by_anonymous_seals_nothing(world):
    from sceau.vault.services import get_vault

    before = set(get_vault().store.names())
    answer = Client().post(
        f"/etude/dossiers/{world.dossier.pk}/documents/",
        {"file": SimpleUploadedFile("a.pdf", make_pdf("x"))},
    )
    assert answer.status_code in (302, 403)
    assert set(get_vault().store.names()) == before


def test_recipient_pages_need_a_session_and_show_only_their_documents(world):
    assert Client().get("/acces/dossier/").status_code == 302
    hidden = deposit(
        world.officer, world.dossier, make_pdf("b seulement"), recipient_ids=[world.recipient_b.pk]
    )
    from sceau.pieces import services

    issued = services.issue_credentials(world.officer, world.recipient_a)
    client = Client()
    client.post("/acces/", {"identifier": issued.identifier, "code": issued.code})
    assert hidden.sha256 not in client.get("/acces/dossier/").content.decode()
    assert client.get(f"/acces/documents/{hidden.pk}/voir/").status_code == 404
    services.issue_credentials(world.officer, world.recipient_a)  # re-issue ends the session
    assert client.get("/acces/dossier/").status_code == 302


def test_recipient_login_error_is_generic(world):
    from sceau.identity import codes
    from sceau.pieces import services

    issued = services.issue_credentials(world.officer, world.recipient_a)
    answer = Client().post(
        "/acces/", {"identifier": issued.identifier, "code": codes.generate_code()}
    )
    assert answer.status_code == 401 and "Identifiants incorrects" in answer.content.decode()
    assert JournalEntry.objects.filter(action="identity:credential:login_failed").exists()


def test_dossier_creation_page(world):
    officer = logged_in(world.officer)
    answer = officer.post(
        "/etude/dossiers/nouveau/",
        {
            "reference": "IP-WEB",
            "creditor": "C",
            "court": "TJ",
            "r-TOTAL_FORMS": "3",
            "r-INITIAL_FORMS": "0",
            "r-MIN_NUM_FORMS": "1",
            "r-MAX_NUM_FORMS": "20",
            "r-0-name": "Débiteur",
            "r-0-kind": "natural",
            "r-0-address": "1 rue",
            "r-0-residence": "france",
            # a browser posts the select boxes of the blank rows too
            "r-1-kind": "natural",
            "r-1-residence": "france",
            "r-2-kind": "natural",
            "r-2-residence": "france",
        },
    )
    assert answer.status_code == 302
    answer = officer.post(
        "/etude/dossiers/nouveau/", {"reference": "", "r-TOTAL_FORMS": "0", "r-INITIAL_FORMS": "0"}
    )
    assert answer.status_code == 400


def test_error_page_back_link_never_points_elsewhere(world):
    officer = logged_in(world.officer)
    answer = officer.post(
        f"/etude/dossiers/{world.dossier.pk}/documents/",
        {"file": SimpleUploadedFile("notes.txt", b"hello")},
        headers={"Referer": "https://evil.example/phish"},
    )
    assert answer.status_code == 415
    assert "evil.example" not in answer.content.decode()
