"""The Petites créances pages, with personas: the office's officer, an outsider officer, the
creditor, another creditor, the debtor (signed in at /acces/) and anonymous visitors."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.core import mail
from django.test import Client
from tests.helpers import TODAY, otp_for, signing_secret

from sceau.creances import machine, services
from sceau.creances.models import Claim, Consent, Message, Proposal
from sceau.identity import services as identity
from sceau.identity.models import User
from sceau.identity.principals import Principal

pytestmark = pytest.mark.django_db

CLAIM_FORM = {
    "creditor_address": "5 rue X\n69001 Lyon",
    "debtor_name": "Paul Débiteur",
    "debtor_address": "8 rue Y\n69003 Lyon",
    "debtor_postal_code": "69003",
    "debtor_email": "",
    "basis": "contractual",
    "description": "Facture impayée n° 42 du 1er mars",
    "principal": "1 200,00",
    "interest": "35.50",
}


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def consented(cast) -> Client:
    """The creditor, past the consent page of every claim they open."""
    return signed_in(cast.creditor)


def debtor(identifier: str, code: str) -> Client:
    client = Client()
    answer = client.post("/acces/", {"identifier": identifier, "code": code})
    assert answer.status_code == 302 and answer["Location"] == "/creances/debiteur/"
    return client


def page(answer) -> str:
    return unescape(answer.content.decode())


def other_creditor() -> User:
    user, token = identity.register_creditor("autre@test.fr", "Autre Créancier", "pw-other-123456")
    identity.verify_email(token)
    user.refresh_from_db()
    return user


# --- accounts ------------------------------------------------------------------------------


def test_registration_mails_a_link_whose_page_shows_the_totp_key_once_then_login_works(db):
    client = Client()
    assert client.get("/creances/compte/inscription/").status_code == 200
    answer = client.post(
        "/creances/compte/inscription/",
        {
            "full_name": "Jeanne Créancière",
            "email": "Jeanne@Test.fr",
            "password": "pw-jeanne-123456",
        },
    )
    assert answer.status_code == 200, page(answer)
    user = User.objects.get(email="jeanne@test.fr")
    assert user.role == User.CREDITOR and user.email_verified_at is None
    assert user.totp_secret[:4] not in page(answer)  # the key comes after verification
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["jeanne@test.fr"]
    link = re.search(r"https?://\S+/creances/compte/verifier/(\S+)/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    url = f"/creances/compte/verifier/{link.group(1)}/"
    # Before verification the login is refused with the generic answer.
    refused = Client().post(
        "/connexion/",
        {"email": "jeanne@test.fr", "password": "pw-jeanne-123456", "otp": otp_for(user)},
    )
    assert refused.status_code == 401
    # Opening the link (as a mail scanner would) verifies nothing and shows no key.
    opened = Client().get(url)
    assert opened.status_code == 200 and user.totp_secret[:4] not in page(opened)
    user.refresh_from_db()
    assert user.email_verified_at is None
    verified = Client().post(url)
    html = page(verified)
    assert verified.status_code == 200 and "activé" in html
    assert user.totp_secret[:4] in html and "otpauth://totp/" in html
    again = page(Client().post(url))
    assert "déjà actif" in again and user.totp_secret[:4] not in again  # shown once
    bad = Client().post("/creances/compte/verifier/nimporte-quoi/")
    assert bad.status_code == 401 and "invalide" in page(bad)
    login = Client().post(
        "/connexion/",
        {"email": "jeanne@test.fr", "password": "pw-jeanne-123456", "otp": otp_for(user, 30)},
    )
    assert login.status_code == 302 and login["Location"] == "/creances/"


def test_registration_refuses_a_weak_password(db):
    weak = Client().post(
        "/creances/compte/inscription/",
        {"full_name": "X", "email": "x@test.fr", "password": "court"},
    )
    # 400: a weak password is a form to correct, not a failed sign-in (issue #10: form
    # validation answered 401 AuthenticationFailed).
    assert weak.status_code == 400 and 'role="alert"' in page(weak)
    assert not User.objects.filter(email="x@test.fr").exists()


def test_registration_never_tells_whether_an_address_has_an_account(cast):
    """ANSSI R14: a taken address gets the same page; its owner gets a mail instead."""

    def register(email: str) -> str:
        answer = Client().post(
            "/creances/compte/inscription/",
            {"full_name": "Quelqu'un", "email": email, "password": "pw-someone-999999"},
        )
        assert answer.status_code == 200
        return page(answer).replace(email, "EMAIL")

    before = User.objects.count()
    taken = register(cast.creditor.email)
    free = register("libre@test.fr")
    assert taken == free
    assert User.objects.count() == before + 1  # only the free address got an account
    owner_mail, new_mail = mail.outbox[-2], mail.outbox[-1]
    assert owner_mail.to == [cast.creditor.email] and "déjà un compte" in owner_mail.subject
    assert "/verifier/" not in owner_mail.body
    assert new_mail.to == ["libre@test.fr"] and "/verifier/" in new_mail.body
    cast.creditor.refresh_from_db()
    assert cast.creditor.check_password("pw-creditor-123456")  # nothing changed for the owner


# --- who may see what ----------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_right_login(cast, invited):
    claim = invited.claim
    anonymous = Client()
    for url, target in (
        ("/creances/", "/connexion/?next=/creances/"),
        ("/creances/nouvelle/", "/connexion/?next=/creances/nouvelle/"),
        (f"/creances/{claim.pk}/", f"/connexion/?next=/creances/{claim.pk}/"),
        ("/etude/creances/", "/connexion/?next=/etude/creances/"),
        (f"/etude/creances/{claim.pk}/", f"/connexion/?next=/etude/creances/{claim.pk}/"),
        ("/creances/debiteur/", "/acces/"),
    ):
        answer = anonymous.get(url)
        assert answer.status_code == 302 and answer["Location"] == target, url
    answer = anonymous.post("/creances/debiteur/reponse/", {"decision": "accept"})
    assert answer.status_code == 302 and answer["Location"] == "/acces/"
    claim.refresh_from_db()
    assert claim.state == machine.INVITED


def test_outsider_officer_and_other_creditor_get_404(cast, invited):
    claim = invited.claim
    outsider = signed_in(cast.outsider)
    for url in (f"/etude/creances/{claim.pk}/", f"/etude/creances/{claim.pk}/titre/"):
        assert outsider.get(url).status_code == 404, url
    answer = outsider.post(f"/etude/creances/{claim.pk}/messages/", {"text": "Intrus"})
    assert answer.status_code == 404 and "ne vous concerne pas" in page(answer)
    assert str(claim.reference) not in page(outsider.get("/etude/creances/"))
    stranger = signed_in(other_creditor())
    assert stranger.get(f"/creances/{claim.pk}/").status_code == 404
    assert stranger.post(f"/creances/{claim.pk}/consentement/").status_code == 404
    assert stranger.post(f"/creances/{claim.pk}/proposition/", {"accept": "1"}).status_code == 404
    assert claim.reference not in page(stranger.get("/creances/"))
    assert not Message.objects.exists() and not Consent.objects.filter(party="creditor").exists()
    # A creditor is not an officer: the office pages send them to the login page.
    answer = signed_in(cast.creditor).get("/etude/creances/")
    assert answer.status_code == 302 and answer["Location"].startswith("/connexion/")
    # An officer asking for the creditor's pages is sent to the office's queue.
    answer = signed_in(cast.officer).get("/creances/")
    assert answer.status_code == 302 and answer["Location"] == "/etude/creances/"


def test_a_pieces_recipient_session_does_not_open_the_debtor_page(world):
    from sceau.pieces import services as pieces

    issued = pieces.issue_credentials(world.officer, world.recipient_a)
    client = Client()
    answer = client.post("/acces/", {"identifier": issued.identifier, "code": issued.code})
    assert answer["Location"] == "/acces/dossier/"
    assert client.get("/creances/debiteur/")["Location"] == "/acces/"


# --- the creditor --------------------------------------------------------------------------


def test_creditor_files_a_claim_and_eligibility_errors_are_explained(cast):
    creditor = signed_in(cast.creditor)
    form = creditor.get("/creances/nouvelle/")
    assert form.status_code == 200 and "Étude Lyonnaise" in page(form)
    office = cast.officer.office_id
    paris = creditor.post(
        "/creances/nouvelle/", {**CLAIM_FORM, "office": office, "debtor_postal_code": "75001"}
    )
    assert paris.status_code == 400 and "ressort de la cour d'appel" in page(paris)
    too_much = creditor.post(
        "/creances/nouvelle/", {**CLAIM_FORM, "office": office, "principal": "5000.00"}
    )
    assert too_much.status_code == 400 and "plafond" in page(too_much)
    assert 'role="alert"' in page(too_much) and "Paul Débiteur" in page(too_much)  # kept
    incomplete = creditor.post("/creances/nouvelle/", {"office": office})
    assert incomplete.status_code == 400
    assert not Claim.objects.exists()
    done = creditor.post("/creances/nouvelle/", {**CLAIM_FORM, "office": office})
    claim = Claim.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/creances/{claim.pk}/"
    assert claim.principal == 1200 and claim.creditor_user == cast.creditor
    assert claim.creditor_name == cast.creditor.full_name and claim.state == machine.REQUESTED
    listing = page(creditor.get("/creances/"))
    assert claim.reference in listing and "demande transmise" in listing


def test_first_visit_asks_for_consent_then_shows_the_case(cast, invited):
    claim = invited.claim
    creditor = signed_in(cast.creditor)
    first = creditor.get(f"/creances/{claim.pk}/")
    assert first.status_code == 200 and services.CONSENT_TEXT[:60] in page(first)
    assert "Continuer" in page(first)
    assert not Consent.objects.filter(claim=claim, party="creditor").exists()
    # Nothing else is reachable before the consent.
    blocked = creditor.post(f"/creances/{claim.pk}/messages/", {"text": "Bonjour"})
    assert blocked.status_code == 302 and not Message.objects.exists()
    assert creditor.post(f"/creances/{claim.pk}/consentement/").status_code == 302
    assert Consent.objects.filter(claim=claim, party="creditor").count() == 1
    case = creditor.get(f"/creances/{claim.pk}/")
    html = page(case)
    assert case.status_code == 200
    assert services.next_step(claim) in html
    assert "indicatif" in html and "Droit fixe" in html  # the fee table, not checked
    assert "1235,50 €" in html and "Et maintenant" in html
    assert "Prescription" in html
    posted = creditor.post(f"/creances/{claim.pk}/messages/", {"text": "Je reste disponible."})
    assert posted.status_code == 302
    assert Message.objects.get().author_kind == "creditor"
    assert "Je reste disponible." in page(creditor.get(f"/creances/{claim.pk}/"))


# --- the whole path through the pages ------------------------------------------------------


def test_agreement_path_through_the_pages(cast):
    creditor = consented(cast)
    creditor.post("/creances/nouvelle/", {**CLAIM_FORM, "office": cast.officer.office_id})
    claim = Claim.objects.get()
    creditor.post(f"/creances/{claim.pk}/consentement/")

    officer = signed_in(cast.officer)
    queue = page(officer.get("/etude/creances/"))
    assert "À examiner" in queue and claim.reference in queue
    case = officer.get(f"/etude/creances/{claim.pk}/")
    assert case.status_code == 200 and "Accepter le mandat" in page(case)
    assert (
        officer.post(f"/etude/creances/{claim.pk}/mandat/", {"decision": "accept"}).status_code
        == 302
    )
    claim.refresh_from_db()
    assert claim.state == machine.MANDATED and claim.officer == cast.officer

    # A refused transition: the mandate was already decided.
    again = officer.post(f"/etude/creances/{claim.pk}/mandat/", {"decision": "accept"})
    assert again.status_code == 409 and "Impossible de statuer sur le mandat" in page(again)

    sent = officer.post(
        f"/etude/creances/{claim.pk}/invitation/",
        {"sent_on": TODAY.isoformat(), "channel": "post"},
    )
    html = page(sent)
    assert sent.status_code == 200 and "data:application/pdf;base64," in html
    identifier = re.search(r'id="identifier">([^<]+)<', html).group(1)
    code = re.search(r'id="code">([^<]+)<', html).group(1)
    claim.refresh_from_db()
    assert claim.state == machine.INVITED

    person = debtor(identifier, code)
    first = page(person.get("/creances/debiteur/"))
    assert services.CONSENT_TEXT[:60] in first and "gratuite pour vous" in first
    assert "Droit fixe" not in first  # the fees are the creditor's
    assert "Accepter de participer" in first
    assert person.post("/creances/debiteur/reponse/", {"decision": "accept"}).status_code == 302
    claim.refresh_from_db()
    assert claim.state == machine.ACCEPTED
    late = person.post("/creances/debiteur/reponse/", {"decision": "refuse"})
    assert late.status_code == 409 and "répondre à l'invitation" in page(late)

    due1 = (TODAY + timedelta(days=20)).isoformat()
    due2 = (TODAY + timedelta(days=50)).isoformat()
    rows = {
        "e-TOTAL_FORMS": "6",
        "e-INITIAL_FORMS": "0",
        "e-0-due": due1,
        "e-0-amount": "600,00",
        "e-1-due": due2,
        "e-1-amount": "600.00",
    }
    wrong = officer.post(f"/etude/creances/{claim.pk}/proposition/", {"amount": "1100", **rows})
    assert wrong.status_code == 409 and "totalisent" in page(wrong)
    made = officer.post(f"/etude/creances/{claim.pk}/proposition/", {"amount": "1200", **rows})
    assert made.status_code == 302
    proposal = Proposal.objects.get(status=Proposal.OPEN)
    assert [i["amount"] for i in proposal.instalments] == ["600.00", "600.00"]

    case = page(creditor.get(f"/creances/{claim.pk}/"))
    assert "Accepter la proposition" in case
    assert creditor.post(f"/creances/{claim.pk}/proposition/", {"accept": "1"}).status_code == 302
    assert "Accepter la proposition" in page(person.get("/creances/debiteur/"))
    assert person.post("/creances/debiteur/proposition/", {"accept": "1"}).status_code == 302
    claim.refresh_from_db()
    assert claim.state == machine.AGREED

    case = page(officer.get(f"/etude/creances/{claim.pk}/"))
    assert 'value="agreement" selected' in case and 'type="password"' in case
    early = creditor.get(f"/creances/{claim.pk}/titre/")
    assert early.status_code == 409
    bad = officer.post(
        f"/etude/creances/{claim.pk}/fin/", {"outcome": "agreement", "signing_secret": "faux"}
    )
    assert bad.status_code == 400 and "mot de passe" in page(bad)
    claim.refresh_from_db()
    assert claim.state == machine.AGREED
    wrong_outcome = officer.post(
        f"/etude/creances/{claim.pk}/fin/",
        {"outcome": "terms_refused", "signing_secret": signing_secret()},
    )
    assert wrong_outcome.status_code == 409
    done = officer.post(
        f"/etude/creances/{claim.pk}/fin/",
        {"outcome": "agreement", "signing_secret": signing_secret()},
    )
    assert done.status_code == 302
    claim.refresh_from_db()
    assert claim.state == machine.CLOSED and claim.title_pdf
    for client, url in (
        (creditor, f"/creances/{claim.pk}/titre/"),
        (creditor, f"/creances/{claim.pk}/proces-verbal/"),
        (officer, f"/etude/creances/{claim.pk}/titre/"),
        (person, "/creances/debiteur/titre/"),
        (person, "/creances/debiteur/proces-verbal/"),
    ):
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert answer["Content-Type"] == "application/pdf" and answer.content.startswith(b"%PDF")
    assert "Télécharger le titre exécutoire" in page(creditor.get(f"/creances/{claim.pk}/"))
    closed = page(person.get("/creances/debiteur/"))
    assert "procédure terminée" in closed.lower() and "Accepter de participer" not in closed


def test_officer_declines_with_a_reason_and_files_for_a_creditor(cast):
    officer = signed_in(cast.officer)
    assert officer.get("/etude/creances/nouvelle/").status_code == 200
    data = {k: v for k, v in CLAIM_FORM.items() if k != "creditor_address"}
    filed = officer.post(
        "/etude/creances/nouvelle/",
        {**data, "creditor_name": "Garage SARL", "creditor_address": "1 rue\n69001 Lyon"},
    )
    claim = Claim.objects.get()
    assert filed.status_code == 302 and filed["Location"] == f"/etude/creances/{claim.pk}/"
    assert claim.creditor_user is None and claim.filed_by == cast.officer
    empty = officer.post(f"/etude/creances/{claim.pk}/mandat/", {"decision": "decline"})
    assert empty.status_code == 400
    officer.post(
        f"/etude/creances/{claim.pk}/mandat/", {"decision": "decline", "reason": "Conflit"}
    )
    claim.refresh_from_db()
    assert claim.state == machine.DECLINED and claim.decision_reason == "Conflit"
    assert "choisissez une autre étude" in page(officer.get(f"/etude/creances/{claim.pk}/"))


def test_debtor_refuses_and_the_queue_groups_claims(cast, invited):
    claim = invited.claim
    officer = signed_in(cast.officer)
    queue = page(officer.get("/etude/creances/"))
    deadlines = queue.split('id="g-deadlines"')[1].split('id="g-signature"')[0]
    assert claim.reference not in deadlines  # a month away
    Claim.objects.filter(pk=claim.pk).update(answer_deadline=TODAY + timedelta(days=3))
    queue = page(officer.get("/etude/creances/"))
    deadlines = queue.split('id="g-deadlines"')[1].split('id="g-signature"')[0]
    assert claim.reference in deadlines
    person = debtor(invited.identifier, invited.code)
    assert person.post("/creances/debiteur/reponse/", {"decision": "refuse"}).status_code == 302
    claim.refresh_from_db()
    assert claim.state == machine.REFUSED
    queue = page(officer.get("/etude/creances/"))
    signature = queue.split('id="g-signature"')[1].split('id="g-others"')[0]
    assert claim.reference in signature
    case = page(officer.get(f"/etude/creances/{claim.pk}/"))
    assert 'value="refused_participation" selected' in case
    # A second sign-in is not the first: the consent is no longer pushed to the top.
    again = debtor(invited.identifier, invited.code)
    html = page(again.get("/creances/debiteur/"))
    assert '<section class="card warning" aria-labelledby="consentement">' not in html
    assert "<summary>Échanges par voie électronique</summary>" in html


def test_parties_see_their_own_notices(cast, invited):
    claim = invited.claim
    services.debtor_answer(claim, "refuse")
    creditor = signed_in(cast.creditor)
    creditor.post(f"/creances/{claim.pk}/consentement/")
    html = page(creditor.get(f"/creances/{claim.pk}/"))
    assert "le débiteur refuse de participer" in html
    notice = re.search(r'href="/creances/avis/(\d+)/pdf/"', html)
    assert notice, "the creditor sees no notice"
    answer = creditor.get(f"/creances/avis/{notice.group(1)}/pdf/")
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    stranger = signed_in(other_creditor())
    assert stranger.get(f"/creances/avis/{notice.group(1)}/pdf/").status_code == 404
    person = debtor(invited.identifier, invited.code)
    html = page(person.get("/creances/debiteur/"))
    mine = re.findall(r'href="/creances/debiteur/avis/(\d+)/pdf/"', html)
    assert mine and notice.group(1) not in mine
    assert person.get(f"/creances/debiteur/avis/{notice.group(1)}/pdf/").status_code == 404
    assert person.get(f"/creances/debiteur/avis/{mine[0]}/pdf/").status_code == 200


# --- the debtor's own password -------------------------------------------------------------


def test_debtor_chooses_a_password_then_signs_in_with_it(cast, invited):
    person = debtor(invited.identifier, invited.code)
    html = page(person.get("/creances/debiteur/"))
    assert "Choisir un mot de passe" in html and invited.identifier in html
    assert "reste valable" in html and 'action="/creances/debiteur/mot-de-passe/"' in html
    assert 'autocomplete="new-password"' in html
    chosen = "trois chats gris sur le toit"
    mismatch = person.post(
        "/creances/debiteur/mot-de-passe/", {"password": chosen, "confirmation": chosen + "!"}
    )
    assert mismatch.status_code == 400 and "pas identiques" in page(mismatch)
    assert 'role="alert"' in page(mismatch) and chosen not in page(mismatch)
    done = person.post(
        "/creances/debiteur/mot-de-passe/", {"password": chosen, "confirmation": chosen}
    )
    assert done.status_code == 302 and done["Location"] == "/creances/debiteur/"
    after = page(person.get("/creances/debiteur/"))
    assert "Mot de passe enregistré" in after and "déjà choisi un mot de passe" in after
    # Later: identifier and password in the « Code personnel » field of /acces/.
    later = debtor(invited.identifier, chosen)
    assert later.get("/creances/debiteur/").status_code == 200
    wrong = Client().post("/acces/", {"identifier": invited.identifier, "code": chosen + "x"})
    assert wrong.status_code == 401
    # The printed code keeps working.
    assert debtor(invited.identifier, invited.code).get("/creances/debiteur/").status_code == 200
    # Nobody else sets it: an anonymous visitor is sent to /acces/.
    anonymous = Client().post(
        "/creances/debiteur/mot-de-passe/", {"password": "x" * 20, "confirmation": "x" * 20}
    )
    assert anonymous.status_code == 302 and anonymous["Location"] == "/acces/"


def test_a_weak_password_is_refused_with_the_reason(cast, invited):
    from sceau.identity.models import AccessCredential

    person = debtor(invited.identifier, invited.code)
    for weak, reason in (("court", "trop court"), ("password1234", "trop courant")):
        answer = person.post(
            "/creances/debiteur/mot-de-passe/", {"password": weak, "confirmation": weak}
        )
        html = page(answer)
        assert answer.status_code == 400 and reason in html, html
        assert '<p class="error" role="alert">' in html and "Choisir un mot de passe" in html
    credential = AccessCredential.objects.get(identifier=invited.identifier)
    assert not credential.password_hash
    refused = Client().post("/acces/", {"identifier": invited.identifier, "code": "password1234"})
    assert refused.status_code == 401


# --- files attached to messages ------------------------------------------------------------


def make_image(kind: str) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format=kind)
    return buffer.getvalue()


def attach(client: Client, url: str, name: str, data: bytes, text: str = "Voir la pièce"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(url, {"text": text, "file": SimpleUploadedFile(name, data)})


def test_each_role_attaches_a_file_and_the_others_download_the_same_bytes(cast, invited):
    import hashlib

    from tests.helpers import make_pdf

    from sceau.core.files import repr_digest

    claim = invited.claim
    creditor = signed_in(cast.creditor)
    creditor.post(f"/creances/{claim.pk}/consentement/")
    officer = signed_in(cast.officer)
    person = debtor(invited.identifier, invited.code)
    form = page(person.get("/creances/debiteur/"))
    assert 'enctype="multipart/form-data"' in form and 'type="file"' in form
    assert "Pièce jointe (facultative)" in form
    assert 'enctype="multipart/form-data"' in page(creditor.get(f"/creances/{claim.pk}/"))
    assert 'enctype="multipart/form-data"' in page(officer.get(f"/etude/creances/{claim.pk}/"))

    sent = {
        "creditor": (creditor, f"/creances/{claim.pk}/messages/", "facture 42.pdf", make_pdf()),
        "officer": (
            officer,
            f"/etude/creances/{claim.pk}/messages/",
            "plan.png",
            make_image("PNG"),
        ),
        "debtor": (person, "/creances/debiteur/messages/", "reçu.JPG", make_image("JPEG")),
    }
    for kind, (client, url, name, data) in sent.items():
        answer = attach(client, url, name, data, f"Pièce du {kind}")
        assert answer.status_code == 302, page(answer)
    downloaders = {
        "creditor": (creditor, f"/creances/{claim.pk}/pieces-jointes/"),
        "officer": (officer, f"/etude/creances/{claim.pk}/pieces-jointes/"),
        "debtor": (person, "/creances/debiteur/pieces-jointes/"),
    }
    pages = {
        "creditor": page(creditor.get(f"/creances/{claim.pk}/")),
        "officer": page(officer.get(f"/etude/creances/{claim.pk}/")),
        "debtor": page(person.get("/creances/debiteur/")),
    }
    media = {"creditor": "application/pdf", "officer": "image/png", "debtor": "image/jpeg"}
    for kind, (_, _, name, data) in sent.items():
        message = Message.objects.get(author_kind=kind)
        digest = hashlib.sha256(data).hexdigest()
        assert message.blob.sha256 == digest and message.file_name == name
        for reader, (client, prefix) in downloaders.items():
            html = pages[reader]
            assert f'href="{prefix}{message.pk}/"' in html and digest in html, (kind, reader)
            assert f"Télécharger {message.file_name}" in html
            if reader == kind:
                continue
            answer = client.get(f"{prefix}{message.pk}/")
            assert answer.status_code == 200, (kind, reader)
            assert b"".join(answer.streaming_content) == data, (kind, reader)
            assert answer["Content-Type"] == media[kind]
            assert answer["Repr-Digest"] == repr_digest(digest)
            assert answer["Content-Disposition"].startswith("attachment;")
            assert answer["Cache-Control"] == "no-store"
    assert (
        "filename*=UTF-8''re%C3%A7u.JPG"
        in person.get(
            f"/creances/debiteur/pieces-jointes/{Message.objects.get(author_kind='debtor').pk}/"
        )["Content-Disposition"]
    )


def test_attachments_are_refused_to_outsiders_and_other_claims(cast, invited):
    from tests.helpers import make_pdf

    from sceau.vault.models import Blob

    claim = invited.claim
    officer = signed_in(cast.officer)
    attach(officer, f"/etude/creances/{claim.pk}/messages/", "acte.pdf", make_pdf())
    message = Message.objects.get()
    outsider = signed_in(cast.outsider)
    answer = outsider.get(f"/etude/creances/{claim.pk}/pieces-jointes/{message.pk}/")
    assert answer.status_code == 404 and "ne vous concerne pas" in page(answer)
    stranger = signed_in(other_creditor())
    assert stranger.get(f"/creances/{claim.pk}/pieces-jointes/{message.pk}/").status_code == 404
    # Neither may add a file to the claim; nothing is kept of what they sent.
    intruder = attach(outsider, f"/etude/creances/{claim.pk}/messages/", "x.pdf", make_pdf("x"))
    assert intruder.status_code == 404
    assert Message.objects.count() == 1 and Blob.objects.count() == 1
    # The debtor of another claim, and a message without a file, give 404 too.
    from tests.helpers import claim_input

    other = machine.file_claim(
        cast.creditor, cast.officer.office, claim_input(debtor_name="Autre"), cast.creditor
    )
    machine.decide_mandate(cast.officer, other, True, "")
    sent = services.invite(cast.officer, other, TODAY, "post")
    elsewhere = debtor(sent.identifier, sent.code)
    assert elsewhere.get(f"/creances/debiteur/pieces-jointes/{message.pk}/").status_code == 404
    plain = services.post_message(Principal.for_user(cast.officer), claim, "Sans pièce")
    assert officer.get(f"/etude/creances/{claim.pk}/pieces-jointes/{plain.pk}/").status_code == 404
    # An anonymous visitor is sent to the sign-in pages.
    anonymous = Client()
    answer = anonymous.get(f"/creances/debiteur/pieces-jointes/{message.pk}/")
    assert answer.status_code == 302 and answer["Location"] == "/acces/"
    answer = anonymous.get(f"/etude/creances/{claim.pk}/pieces-jointes/{message.pk}/")
    assert answer.status_code == 302 and answer["Location"].startswith("/connexion/")


def test_a_text_file_is_refused_with_a_415_page(cast, invited):
    from sceau.vault.models import Blob

    claim = invited.claim
    creditor = signed_in(cast.creditor)
    creditor.post(f"/creances/{claim.pk}/consentement/")
    person = debtor(invited.identifier, invited.code)
    for client, url in (
        (creditor, f"/creances/{claim.pk}/messages/"),
        (signed_in(cast.officer), f"/etude/creances/{claim.pk}/messages/"),
        (person, "/creances/debiteur/messages/"),
    ):
        answer = attach(client, url, "notes.txt", b"Simple texte, pas un PDF.\n")
        html = page(answer)
        assert answer.status_code == 415, (url, html)
        assert 'role="alert"' in html and "PDF, PNG et JPEG" in html
    assert not Message.objects.exists() and not Blob.objects.exists()
