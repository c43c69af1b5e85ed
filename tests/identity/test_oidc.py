"""OpenID Connect sign-in for parties, against a real provider (tests/oidc_provider).

Sceau's side runs in-process (django.test.Client) and calls the provider's token, JWKS and
userinfo endpoints over real HTTP; the browser's side at the provider is driven with requests.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
import secrets
import time
import uuid
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client
from django.utils import timezone
from tests.helpers import PASSWORD, claim_input, deposit, make_pdf, otp_for
from tests.identity.oidc_helpers import (
    CLIENT_ID,
    OTHER_CLIENT_ID,
    OTHER_CLIENT_SECRET,
    REDIRECT_URI,
    SCOPES,
    ProviderBrowser,
)

from sceau.core import clock
from sceau.creances import machine
from sceau.creances import services as creances
from sceau.identity import oidc as oidc_module
from sceau.identity import services as identity
from sceau.identity.models import OidcIdentity
from sceau.journal.models import JournalEntry
from sceau.notary.services import use_test_certificate
from sceau.pieces import services as pieces

PENDING_KEY = "sceau_oidc_pending"
CALLBACK_REFUSED = "identity:oidc:callback_refused"


# --- helpers -------------------------------------------------------------------------------


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def holder_client(officer, recipient) -> Client:
    issued = pieces.issue_credentials(officer, recipient)
    client = Client()
    answer = client.post("/acces/", {"identifier": issued.identifier, "code": issued.code})
    assert answer.status_code == 302, answer.content[:300]
    return client


def start(client: Client, path: str) -> str:
    """POST the button; the URL of the provider the browser is sent to."""
    answer = client.post(path)
    assert answer.status_code == 302, answer.content[:300]
    return answer["Location"]


def flow(client: Client, path: str, login: str, browser: ProviderBrowser | None = None):
    """Button, provider (sign in as ``login``), then Sceau's callback; the callback's answer."""
    params = (browser or ProviderBrowser()).authorize(start(client, path), login)
    return client.get("/oidc/retour/", params)


def link(client: Client, login: str):
    return flow(client, "/oidc/rattacher/", login)


def login_with_provider(login: str) -> tuple[Client, object]:
    client = Client()
    return client, flow(client, "/oidc/connexion/", login)


def entries(action: str) -> list[JournalEntry]:
    return list(JournalEntry.objects.filter(action=action).order_by("index"))


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def with_query(url: str, **changes: str | None) -> str:
    parts = urlsplit(url)
    query = query_of(url)
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def creditor_client(email: str = "creancier@oidc.test"):
    user, token = identity.register_creditor(email, "Société Créancière", PASSWORD)
    identity.verify_email(token)
    user.refresh_from_db()
    client = Client()
    answer = client.post(
        "/connexion/", {"email": email, "password": PASSWORD, "otp": otp_for(user)}
    )
    assert answer.status_code == 302 and answer["Location"] == "/creances/"
    return user, client


def assert_refused(answer, status: int, reason_prefix: str, action=CALLBACK_REFUSED):
    assert answer.status_code == status, answer.content[:500]
    last = entries(action)[-1]
    assert last.details["reason"].startswith(reason_prefix), last.details


# --- the happy paths -----------------------------------------------------------------------


def test_holder_links_then_signs_in_with_the_provider_alone(world, oidc):
    a = world.recipient_a
    deposit(world.officer, world.dossier, make_pdf("pour Alice"), "alice.pdf", [a.pk])
    client = holder_client(world.officer, a)
    page = client.get("/acces/dossier/").content.decode()
    assert "Rattacher mon identité FranceConnect" in page

    name = unique("alice")
    answer = link(client, name)
    assert answer.status_code == 302 and answer["Location"] == "/acces/dossier/"
    linked = OidcIdentity.objects.get(subject=name)
    assert linked.credential.holder_id == a.pk and linked.user is None
    assert (linked.issuer, linked.given_name, linked.family_name) == (oidc.issuer, name, "Test")
    entry = entries("identity:oidc:linked")[-1]
    assert entry.dossier_id == world.dossier.pk and entry.actor_id == str(a.pk)
    assert entry.details["subject"] == name
    page = client.get("/acces/dossier/").content.decode()
    assert "Détacher mon identité FranceConnect" in page

    # Later, from another browser: the provider alone lets them in.
    fresh = Client()
    assert "Se connecter avec FranceConnect" in fresh.get("/acces/").content.decode()
    answer = flow(fresh, "/oidc/connexion/", name)
    assert answer.status_code == 302 and answer["Location"] == "/acces/dossier/"
    page = fresh.get("/acces/dossier/")
    assert page.status_code == 200
    text = page.content.decode()
    assert a.name in text and world.dossier.reference in text and "alice.pdf" in text
    ok = entries("identity:oidc:login_succeeded")[-1]
    assert ok.details["subject"] == name and ok.details["acr"] == "eidas1"
    assert entries("pieces:recipient:logged_in")[-1].object_id == str(a.pk)
    linked.refresh_from_db()
    assert linked.last_login_at is not None
    # No token of any kind reaches the journal.
    id_token = fresh.session["sceau_oidc_id_token"]
    assert not JournalEntry.objects.filter(leaf__contains=id_token[:40]).exists()
    assert all(k in ("ip", "issuer", "subject", "acr") for k in ok.details)


def test_creditor_links_then_signs_in(db, oidc):
    creditor, client = creditor_client()
    assert "Rattacher mon identité FranceConnect" in client.get("/creances/").content.decode()
    name = unique("creancier")
    answer = link(client, name)
    assert answer.status_code == 302 and answer["Location"] == "/creances/"
    assert OidcIdentity.objects.get(subject=name).user == creditor

    fresh = Client()
    assert "Se connecter avec FranceConnect" in fresh.get("/connexion/").content.decode()
    answer = flow(fresh, "/oidc/connexion/", name)
    assert answer.status_code == 302 and answer["Location"] == "/creances/"
    page = fresh.get("/creances/")
    assert page.status_code == 200 and "Mes petites créances" in page.content.decode()
    assert page.wsgi_request.user == creditor
    assert entries("identity:oidc:login_succeeded")[-1].object_id == str(creditor.pk)

    # A deactivated account is no longer reachable through its identity.
    creditor.is_active = False
    creditor.save(update_fields=["is_active"])
    client3, answer = login_with_provider(name)
    assert answer.status_code == 403
    assert entries("identity:oidc:login_refused")[-1].details["reason"] == "account_inactive"
    assert client3.get("/creances/").status_code == 302


def test_debtor_of_petites_creances_links_then_signs_in(db, oidc):
    office = identity.create_office("Étude Lyonnaise", "1 quai\n69002 Lyon", "69")
    officer = identity.create_officer(office, "pc@oidc.test", "Maître Pécé", PASSWORD)
    use_test_certificate(officer)
    creditor, _ = creditor_client("pc-creditor@oidc.test")
    claim = machine.file_claim(creditor, office, claim_input(), creditor)
    machine.decide_mandate(officer, claim, True, "")
    sent = creances.invite(officer, claim, clock.today(), "post")  # an input: sent today
    client = Client()
    answer = client.post("/acces/", {"identifier": sent.identifier, "code": sent.code})
    assert answer["Location"] == "/creances/debiteur/"
    assert (
        "Rattacher mon identité FranceConnect" in client.get("/creances/debiteur/").content.decode()
    )
    name = unique("paul")
    assert link(client, name)["Location"] == "/creances/debiteur/"
    fresh, answer = login_with_provider(name)
    assert answer["Location"] == "/creances/debiteur/"
    page = fresh.get("/creances/debiteur/")
    assert page.status_code == 200 and claim.reference in page.content.decode()
    assert entries("creances:party:access")[-1].object_id == str(claim.pk)


# --- refusals ------------------------------------------------------------------------------


def test_unknown_identity_gets_the_explaining_page(world, oidc):
    name = unique("inconnu")
    client, answer = login_with_provider(name)
    assert answer.status_code == 403
    text = answer.content.decode()
    assert "ne donne accès à aucun dossier" in text
    assert "identifiant et le code personnel" in text and "Rattacher mon identité" in text
    refused = entries("identity:oidc:login_refused")[-1]
    assert refused.details["reason"] == "unknown_identity"
    assert refused.details["subject"] == name
    assert client.get("/acces/dossier/").status_code == 302  # nobody signed in


def test_missing_wrong_and_replayed_state_are_refused(world, oidc):
    client = holder_client(world.officer, world.recipient_a)
    name = unique("alice")
    link(client, name)

    fresh = Client()
    params = ProviderBrowser().authorize(start(fresh, "/oidc/connexion/"), name)
    no_state = {k: v for k, v in params.items() if k != "state"}
    assert_refused(fresh.get("/oidc/retour/", no_state), 400, "state_missing")
    wrong = {**params, "state": secrets.token_urlsafe(32)}
    assert_refused(fresh.get("/oidc/retour/", wrong), 400, "state_unknown")
    # another browser cannot use this browser's answer (the state lives in its session)
    assert_refused(Client().get("/oidc/retour/", params), 400, "state_unknown")
    assert fresh.get("/oidc/retour/", params)["Location"] == "/acces/dossier/"
    # replayed: the state was used up by the first answer
    replay = fresh.get("/oidc/retour/", params)
    assert_refused(replay, 400, "state_unknown")
    assert "aucune demande en cours" in replay.content.decode()


def test_expired_state_is_refused(world, oidc):
    client = Client()
    auth_url = start(client, "/oidc/connexion/")
    params = ProviderBrowser().authorize(auth_url, unique("lent"))
    session = client.session
    pending = session[PENDING_KEY]
    pending[params["state"]]["created"] -= 601
    session[PENDING_KEY] = pending
    session.save()
    assert_refused(client.get("/oidc/retour/", params), 400, "state_expired")


def test_error_from_the_provider_is_refused(world, oidc):
    client = Client()
    state = query_of(start(client, "/oidc/connexion/"))["state"]
    answer = client.get(
        "/oidc/retour/", {"state": state, "error": "access_denied", "iss": oidc.issuer}
    )
    assert_refused(answer, 403, "provider_error:access_denied")
    assert "connexion annulée ou refusée" in answer.content.decode()


def test_nonce_mismatch_is_refused(world, oidc):
    client = holder_client(world.officer, world.recipient_a)
    name = unique("alice")
    link(client, name)
    fresh = Client()
    auth_url = start(fresh, "/oidc/connexion/")
    forged = with_query(auth_url, nonce=secrets.token_urlsafe(32))  # swapped on the way
    params = ProviderBrowser().authorize(forged, name)
    assert_refused(fresh.get("/oidc/retour/", params), 403, "nonce_mismatch")
    assert fresh.get("/acces/dossier/").status_code == 302


def test_response_issuer_mismatch_is_refused(world, oidc):
    client = Client()
    params = ProviderBrowser().authorize(start(client, "/oidc/connexion/"), unique("x"))
    params["iss"] = "https://attacker.example"
    assert_refused(client.get("/oidc/retour/", params), 403, "response_issuer_mismatch")


def test_insufficient_acr_is_refused(world, oidc):
    client = holder_client(world.officer, world.recipient_a)
    name = unique("alice")
    link(client, name)
    fresh = Client()
    auth_url = start(fresh, "/oidc/connexion/")
    assert query_of(auth_url)["acr_values"] == "eidas1"
    params = ProviderBrowser().authorize(auth_url, name, acr="eidas0")
    assert_refused(fresh.get("/oidc/retour/", params), 403, "acr_not_satisfied")


def test_acr_none_sends_and_checks_no_acr(world, oidc, settings):
    settings.CONFIG = dataclasses.replace(settings.CONFIG, oidc_acr_values="none")
    client = holder_client(world.officer, world.recipient_a)
    name = unique("alice")
    auth_url = start(client, "/oidc/rattacher/")
    assert "acr_values" not in query_of(auth_url)
    params = ProviderBrowser().authorize(auth_url, name, acr="eidas0")
    assert client.get("/oidc/retour/", params)["Location"] == "/acces/dossier/"


# --- PKCE ----------------------------------------------------------------------------------


def test_pkce_s256_is_sent_and_checked_by_the_provider(world, oidc):
    client = holder_client(world.officer, world.recipient_a)
    name = unique("alice")
    link(client, name)

    # The request carries an S256 challenge of the verifier kept in the session.
    fresh = Client()
    auth_url = start(fresh, "/oidc/connexion/")
    query = query_of(auth_url)
    verifier = fresh.session[PENDING_KEY][query["state"]]["verifier"]
    digest = hashlib.sha256(verifier.encode()).digest()
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert 43 <= len(verifier) <= 128
    params = ProviderBrowser().authorize(auth_url, name)
    assert fresh.get("/oidc/retour/", params)["Location"] == "/acces/dossier/"

    # A code obtained for one challenge is refused with another verifier (by the provider).
    other = Client()
    auth_url = start(other, "/oidc/connexion/")
    state = query_of(auth_url)["state"]
    session = other.session
    pending = session[PENDING_KEY]
    pending[state]["verifier"] = secrets.token_urlsafe(48)
    session[PENDING_KEY] = pending
    session.save()
    params = ProviderBrowser().authorize(auth_url, name)
    assert_refused(other.get("/oidc/retour/", params), 403, "token_refused:invalid_grant")

    # The provider requires PKCE: a request without a challenge comes back as an error.
    third = Client()
    auth_url = start(third, "/oidc/connexion/")
    stripped = with_query(auth_url, code_challenge=None, code_challenge_method=None)
    params = ProviderBrowser().authorize(stripped, name)
    assert params["error"] == "invalid_request"
    assert_refused(third.get("/oidc/retour/", params), 403, "provider_error:invalid_request")


# --- ID token validation, with the provider's real keys ------------------------------------


def _client_for(provider, client_id=CLIENT_ID, secret=None) -> oidc_module.OidcClient:
    from tests.identity.oidc_helpers import CLIENT_SECRET

    return oidc_module.OidcClient(
        oidc_module.ProviderSettings(
            issuer=provider.issuer,
            client_id=client_id,
            client_secret=secret or CLIENT_SECRET,
            scopes=SCOPES,
            acr_values="eidas1",
        )
    )


def _real_tokens(provider, nonce: str) -> dict[str, str]:
    """A genuine ID token for Sceau's client, through the whole flow."""
    rp = _client_for(provider)
    auth = rp.begin(REDIRECT_URI)
    params = ProviderBrowser().authorize(with_query(auth.url, nonce=nonce), unique("jeton"))
    return rp.exchange_code(
        params["code"], code_verifier=auth.code_verifier, redirect_uri=REDIRECT_URI
    )


def _other_client_id_token(provider, nonce: str) -> str:
    """A genuine ID token issued by the same provider to another client."""
    verifier = secrets.token_urlsafe(48)
    redirect = "http://127.0.0.1:9/other/callback"
    query = urlencode(
        {
            "response_type": "code",
            "client_id": OTHER_CLIENT_ID,
            "redirect_uri": redirect,
            "scope": "openid",
            "state": "s",
            "nonce": nonce,
            "code_challenge": oidc_module.code_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    params = ProviderBrowser().authorize(
        f"{provider.issuer}/auth?{query}", unique("autre"), redirect_uri=redirect
    )
    answer = requests.post(
        f"{provider.issuer}/token",
        data={
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": redirect,
            "code_verifier": verifier,
            "client_id": OTHER_CLIENT_ID,
            "client_secret": OTHER_CLIENT_SECRET,
        },
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()["id_token"]


def _reason(rp, token: str, **kwargs) -> str:
    with pytest.raises(oidc_module.OidcTokenInvalid) as caught:
        rp.validate_id_token(token, **kwargs)
    return caught.value.reason


def test_id_token_validation_against_the_real_jwks(oidc_provider):
    oidc_module.clear_caches()
    rp = _client_for(oidc_provider)
    nonce = secrets.token_urlsafe(16)
    tokens = _real_tokens(oidc_provider, nonce)
    token = tokens["id_token"]
    claims = rp.validate_id_token(token, nonce=nonce, access_token=tokens["access_token"])
    assert claims["aud"] == CLIENT_ID and claims["acr"] == "eidas1"
    header = jwt.get_unverified_header(token)

    # tampered payload, genuine signature
    head, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=="))
    data["sub"] = "quelqu-un-d-autre"
    forged_payload = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    assert _reason(rp, f"{head}.{forged_payload}.{signature}", nonce=nonce) == "bad_signature"

    # signed with another key that claims the provider's key id
    intruder = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(data, intruder, algorithm="RS256", headers={"kid": header["kid"]})
    assert _reason(rp, forged, nonce=nonce) == "bad_signature"

    # symmetric or absent signatures are never accepted
    hs = jwt.encode(data, "x" * 32, algorithm="HS256", headers={"kid": header["kid"]})
    assert _reason(rp, hs, nonce=nonce) == "algorithm_not_allowed"
    unsigned = jwt.encode(data, None, algorithm="none")
    assert _reason(rp, unsigned, nonce=nonce) == "algorithm_not_allowed"

    # a genuine token of the same provider, but for another client
    other_nonce = secrets.token_urlsafe(16)
    other = _other_client_id_token(oidc_provider, other_nonce)
    assert jwt.decode(other, options={"verify_signature": False})["aud"] == OTHER_CLIENT_ID
    assert _reason(rp, other, nonce=other_nonce) == "wrong_audience"

    # the genuine token, judged an hour later, or with another nonce, or another access token
    assert _reason(rp, token, nonce=nonce, now=time.time() + 3600) == "expired"
    assert _reason(rp, token, nonce=nonce, now=time.time() - 3600) == "issued_in_future"
    assert _reason(rp, token, nonce="autre") == "nonce_mismatch"

    # the same token checked by a client that asks for a higher level
    strict = oidc_module.OidcClient(dataclasses.replace(rp.provider, acr_values="eidas3"))
    assert _reason(strict, token, nonce=nonce) == "acr_not_satisfied"


def test_discovery_must_name_the_configured_issuer(oidc_provider):
    oidc_module.clear_caches()
    port = urlsplit(oidc_provider.issuer).port
    rp = oidc_module.OidcClient(
        dataclasses.replace(_client_for(oidc_provider).provider, issuer=f"http://localhost:{port}")
    )
    with pytest.raises(oidc_module.OidcUnavailable) as caught:
        rp.metadata()
    assert caught.value.reason == "discovery_issuer_mismatch"
    meta = _client_for(oidc_provider).metadata()
    assert meta.algorithms == ("RS256", "ES256") and meta.token_auth_method == "client_secret_basic"


def test_unreachable_provider_gives_a_clear_page(world, oidc, settings):
    with socket_closed() as port:
        settings.CONFIG = dataclasses.replace(
            settings.CONFIG, oidc_issuer=f"http://127.0.0.1:{port}"
        )
        oidc_module.clear_caches()
        answer = Client().post("/oidc/connexion/")
    assert answer.status_code == 502
    assert "ne répond pas correctement" in answer.content.decode()


class socket_closed:
    """A local port nobody listens on."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]

    def __exit__(self, *exc) -> None:
        self.sock.close()


# --- who gets in ---------------------------------------------------------------------------


def test_revoked_or_reissued_credential_no_longer_lets_the_identity_in(world, oidc):
    a = world.recipient_a
    client = holder_client(world.officer, a)
    name = unique("alice")
    link(client, name)
    assert login_with_provider(name)[1]["Location"] == "/acces/dossier/"

    # re-issued code: the link made with the old one is void
    issued = pieces.issue_credentials(world.officer, a)
    fresh, answer = login_with_provider(name)
    assert answer.status_code == 403 and "a été renouvelé ou révoqué" in answer.content.decode()
    assert entries("identity:oidc:login_refused")[-1].details["reason"] == "credential_reissued"
    assert fresh.get("/acces/dossier/").status_code == 302

    # signing in with the new code, they may link again
    again = Client()
    again.post("/acces/", {"identifier": issued.identifier, "code": issued.code})
    assert link(again, name)["Location"] == "/acces/dossier/"
    assert OidcIdentity.objects.filter(subject=name).count() == 1
    assert login_with_provider(name)[1]["Location"] == "/acces/dossier/"

    # revoked credential
    credential = OidcIdentity.objects.get(subject=name).credential
    credential.revoked_at = timezone.now()
    credential.save(update_fields=["revoked_at"])
    fresh, answer = login_with_provider(name)
    assert answer.status_code == 403
    assert entries("identity:oidc:login_refused")[-1].details["reason"] == "credential_revoked"
    assert fresh.get("/acces/dossier/").status_code == 302


def test_unlink_from_the_party_page(world, oidc):
    client = holder_client(world.officer, world.recipient_a)
    name = unique("alice")
    link(client, name)
    answer = client.post("/oidc/detacher/")
    assert answer.status_code == 302 and answer["Location"] == "/acces/dossier/"
    assert not OidcIdentity.objects.filter(subject=name).exists()
    assert entries("identity:oidc:unlinked")[-1].details["subjects"] == [name]
    assert "Rattacher mon identité" in client.get("/acces/dossier/").content.decode()
    assert login_with_provider(name)[1].status_code == 403


def test_a_second_identity_must_wait_for_the_first_to_be_unlinked(world, oidc):
    client = holder_client(world.officer, world.recipient_a)
    first, second = unique("alice"), unique("alice2")
    link(client, first)
    answer = link(client, second)
    assert answer.status_code == 409 and "détachez-la" in answer.content.decode()
    assert entries("identity:oidc:link_refused")[-1].details["reason"] == "already_linked"
    assert not OidcIdentity.objects.filter(subject=second).exists()


def test_several_accesses_lead_to_a_choice(world, oidc):
    a = world.recipient_a
    second = pieces.create_dossier(
        world.officer,
        "IP-3",
        "Autre Créancier",
        "Tribunal judiciaire de Paris",
        [pieces.RecipientInput("Alice Débitrice", "3 rue C\n75002 Paris")],
    )
    a2 = second.recipients.get()
    name = unique("alice")
    link(holder_client(world.officer, a), name)
    link(holder_client(world.officer, a2), name)

    client = Client(enforce_csrf_checks=True)
    page = client.get("/acces/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    answer = client.post("/oidc/connexion/", {"csrfmiddlewaretoken": token})
    params = ProviderBrowser().authorize(answer["Location"], name)
    answer = client.get("/oidc/retour/", params)
    assert answer.status_code == 302 and answer["Location"] == "/oidc/choisir/"
    page = client.get("/oidc/choisir/")
    text = page.content.decode()
    assert "IP-1" in text and "IP-3" in text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)[1]
    link_a2 = OidcIdentity.objects.get(subject=name, credential__holder_id=a2.pk)
    key_a2 = f"credential:{link_a2.credential_id}"
    assert key_a2 in text

    # without the CSRF token: refused, nothing opened
    assert client.post("/oidc/choisir/", {"access": key_a2}).status_code == 403
    # an access the identity is not linked to (recipient B's) is not offered, nor accepted
    b_credential = pieces.credential_of(world.recipient_b) or None
    if b_credential is None:
        pieces.issue_credentials(world.officer, world.recipient_b)
        b_credential = pieces.credential_of(world.recipient_b)
    sneaky = client.post(
        "/oidc/choisir/", {"access": f"credential:{b_credential.pk}", "csrfmiddlewaretoken": token}
    )
    assert sneaky.status_code == 400
    assert client.get("/acces/dossier/").status_code == 302

    answer = client.post("/oidc/choisir/", {"access": key_a2, "csrfmiddlewaretoken": token})
    assert answer.status_code == 302 and answer["Location"] == "/acces/dossier/"
    page = client.get("/acces/dossier/").content.decode()
    assert "IP-3" in page and "IP-1" not in page
    # the choice is single use
    assert client.get("/oidc/choisir/").status_code == 400


def test_identity_of_b_never_reaches_the_dossier_of_a(world, oidc):
    a, b = world.recipient_a, world.recipient_b
    only_a = deposit(world.officer, world.dossier, make_pdf("A seul"), "a-seul.pdf", [a.pk])
    name_a, name_b = unique("alice"), unique("bruno")
    link(holder_client(world.officer, a), name_a)
    link(holder_client(world.officer, b), name_b)

    client, answer = login_with_provider(name_b)
    assert answer["Location"] == "/acces/dossier/"
    page = client.get("/acces/dossier/").content.decode()
    assert b.name in page and a.name not in page and "a-seul.pdf" not in page
    assert client.get(f"/acces/documents/{only_a.pk}/telecharger/").status_code == 404
    assert entries("identity:oidc:login_succeeded")[-1].object_id != str(
        OidcIdentity.objects.get(subject=name_a).credential_id
    )
    # A's identity still opens A's dossier, and only that one
    client_a, _ = login_with_provider(name_a)
    page = client_a.get("/acces/dossier/").content.decode()
    assert a.name in page and "a-seul.pdf" in page


# --- who may use the pages -----------------------------------------------------------------


def test_link_and_unlink_need_a_party(world, oidc):
    anonymous = Client()
    assert anonymous.post("/oidc/rattacher/")["Location"] == "/acces/"
    assert anonymous.post("/oidc/detacher/")["Location"] == "/acces/"
    officer = Client()
    officer.force_login(world.officer)
    assert officer.post("/oidc/rattacher/").status_code == 403
    assert officer.post("/oidc/detacher/").status_code == 403
    assert "Rattacher" not in officer.get("/etude/").content.decode()
    assert anonymous.get("/oidc/connexion/").status_code == 405
    assert anonymous.get("/oidc/choisir/").status_code == 400


def test_everything_is_off_without_an_issuer(world, settings):
    settings.CONFIG = dataclasses.replace(settings.CONFIG, oidc_issuer="")
    client = Client()
    assert "FranceConnect" not in client.get("/acces/").content.decode()
    assert "FranceConnect" not in client.get("/connexion/").content.decode()
    for path in ("/oidc/connexion/", "/oidc/rattacher/", "/oidc/detacher/"):
        assert client.post(path).status_code == 404
    for path in ("/oidc/retour/", "/oidc/choisir/", "/oidc/deconnecte/"):
        assert client.get(path).status_code == 404
    holder = holder_client(world.officer, world.recipient_a)
    assert "Rattacher" not in holder.get("/acces/dossier/").content.decode()


# --- claims the test provider never sends: a provider of our own keys, over real HTTP -------


@dataclasses.dataclass
class OwnKeysProvider:
    """A provider publishing discovery, JWKS and (signed) userinfo with keys the test holds."""

    issuer: str
    key: rsa.RSAPrivateKey
    discovery: dict
    keys: list
    userinfo: dict

    def sign(self, claims: dict, key=None, kid: str = "k1") -> str:
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": kid})

    def claims(self, **over) -> dict:
        now = int(time.time())
        data = {
            "iss": self.issuer,
            "sub": "sujet",
            "aud": CLIENT_ID,
            "exp": now + 300,
            "iat": now,
            "nonce": "n",
            "acr": "eidas1",
        }
        data.update(over)
        return {k: v for k, v in data.items() if v is not None}

    def client(self, **over) -> oidc_module.OidcClient:
        settings = oidc_module.ProviderSettings(
            issuer=self.issuer,
            client_id=CLIENT_ID,
            client_secret="x",
            scopes=SCOPES,
            acr_values="eidas1",
        )
        return oidc_module.OidcClient(dataclasses.replace(settings, **over))


def _public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


@pytest.fixture
def own_keys():
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    provider = OwnKeysProvider("", key, {}, [_public_jwk(key, "k1")], {})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                body, media = json.dumps(provider.discovery).encode(), "application/json"
            elif self.path == "/jwks":
                body, media = json.dumps({"keys": provider.keys}).encode(), "application/json"
            elif self.path == "/userinfo":
                body, media = provider.sign(provider.userinfo).encode(), "application/jwt"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", media)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    provider.issuer = base
    provider.discovery = {
        "issuer": base,
        "authorization_endpoint": f"{base}/auth",
        "token_endpoint": f"{base}/token",
        "userinfo_endpoint": f"{base}/userinfo",
        "jwks_uri": f"{base}/jwks",
        "id_token_signing_alg_values_supported": ["RS256", "HS256"],
        "acr_values_supported": ["eidas1"],
    }
    provider.userinfo = {"sub": "sujet", "given_name": "Jeanne", "iss": base, "aud": CLIENT_ID}
    Thread(target=server.serve_forever, daemon=True).start()
    oidc_module.clear_caches()
    yield provider
    server.shutdown()
    server.server_close()
    oidc_module.clear_caches()


def test_audience_authorized_party_issuer_and_required_claims(own_keys):
    rp = own_keys.client()
    assert rp.validate_id_token(own_keys.sign(own_keys.claims()), nonce="n")["sub"] == "sujet"
    several = own_keys.claims(aud=[CLIENT_ID, "autre"])
    assert _reason(rp, own_keys.sign(several), nonce="n") == "authorized_party_missing"
    ok = rp.validate_id_token(own_keys.sign({**several, "azp": CLIENT_ID}), nonce="n")
    assert ok["azp"] == CLIENT_ID
    wrong_azp = own_keys.sign(own_keys.claims(azp="autre"))
    assert _reason(rp, wrong_azp, nonce="n") == "wrong_authorized_party"
    wrong_iss = own_keys.sign(own_keys.claims(iss="https://ailleurs.example"))
    assert _reason(rp, wrong_iss, nonce="n") == "wrong_issuer"
    assert _reason(rp, own_keys.sign(own_keys.claims(exp=None)), nonce="n") == "missing_claim"
    assert _reason(rp, own_keys.sign(own_keys.claims(nonce=None)), nonce="n") == "nonce_mismatch"
    old = own_keys.claims(iat=int(time.time()) - 3600, exp=int(time.time()) + 300)
    assert _reason(rp, own_keys.sign(old), nonce="n") == "issued_too_long_ago"
    assert _reason(rp, own_keys.sign(own_keys.claims(acr=None)), nonce="n") == "acr_not_satisfied"
    unknown_kid = own_keys.sign(own_keys.claims(), kid="k9")
    assert _reason(rp, unknown_kid, nonce="n") == "unknown_key"


def test_at_hash_is_checked_when_present(own_keys):
    # OpenID Connect Core, appendix A.4: this access token has this at_hash (RS256).
    access = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
    token = own_keys.sign(own_keys.claims(at_hash="77QmUPtjPfzWtF2AnpK9RQ"))
    rp = own_keys.client()
    assert rp.validate_id_token(token, nonce="n", access_token=access)["sub"] == "sujet"
    assert _reason(rp, token, nonce="n", access_token=access + "x") == "at_hash_mismatch"


def test_a_rotated_key_is_fetched_again(own_keys, monkeypatch):
    rp = own_keys.client()
    rp.validate_id_token(own_keys.sign(own_keys.claims()), nonce="n")  # JWKS now cached
    new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    own_keys.keys.append(_public_jwk(new_key, "k2"))
    token = own_keys.sign(own_keys.claims(), key=new_key, kid="k2")
    assert _reason(rp, token, nonce="n") == "unknown_key"  # refetched at most every 30 s
    monkeypatch.setattr(oidc_module.client, "JWKS_MIN_REFRESH", 0.0)  # where the client reads it
    assert rp.validate_id_token(token, nonce="n")["sub"] == "sujet"


def test_signed_userinfo(own_keys):
    rp = own_keys.client()
    assert rp.userinfo("jeton", subject="sujet")["given_name"] == "Jeanne"
    with pytest.raises(oidc_module.OidcTokenInvalid) as caught:
        rp.userinfo("jeton", subject="quelqu-un-d-autre")
    assert caught.value.reason == "userinfo_subject_mismatch"
    own_keys.userinfo["aud"] = "autre"
    with pytest.raises(oidc_module.OidcTokenInvalid) as caught:
        rp.userinfo("jeton", subject="sujet")
    assert caught.value.reason == "userinfo_wrong_audience"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"id_token_signing_alg_values_supported": ["HS256", "none"]}, "no_asymmetric_algorithm"),
        ({"code_challenge_methods_supported": ["plain"]}, "no_pkce_s256"),
        ({"acr_values_supported": ["eidas0"]}, "acr_not_supported"),
        ({"token_endpoint_auth_methods_supported": ["private_key_jwt"]}, "no_client_secret_method"),
        ({"userinfo_endpoint": None}, "missing_userinfo_endpoint"),
    ],
)
def test_discovery_documents_sceau_refuses(own_keys, change, reason):
    own_keys.discovery.update(change)
    with pytest.raises(oidc_module.OidcUnavailable) as caught:
        own_keys.client().metadata()
    assert caught.value.reason == f"discovery_{reason}"


def test_an_https_issuer_must_keep_every_endpoint_on_https():
    rp = oidc_module.OidcClient(
        oidc_module.ProviderSettings("https://fc.example", CLIENT_ID, "x", SCOPES, "")
    )
    with pytest.raises(oidc_module.OidcUnavailable) as caught:
        rp._parse_metadata(
            {
                "issuer": "https://fc.example",
                "authorization_endpoint": "https://fc.example/auth",
                "token_endpoint": "http://fc.example/token",
                "userinfo_endpoint": "https://fc.example/me",
                "jwks_uri": "https://fc.example/jwks",
                "id_token_signing_alg_values_supported": ["ES256"],
            }
        )
    assert caught.value.reason == "discovery_endpoint_not_https"


def test_logout_ends_the_provider_session_too(world, oidc):
    client = holder_client(world.officer, world.recipient_a)
    name = unique("alice")
    link(client, name)
    assert client.post("/acces/deconnexion/")["Location"] == "/acces/"  # signed in with the code

    browser = ProviderBrowser()
    fresh = Client()
    assert flow(fresh, "/oidc/connexion/", name, browser)["Location"] == "/acces/dossier/"
    from django.contrib.sessions.models import Session

    from sceau.identity.sessions import open_from_session

    session = fresh.session
    id_token = open_from_session(session, session["sceau_oidc_id_token"])
    assert id_token and id_token.count(".") == 2  # a JWT, kept encrypted in the session record
    record = Session.objects.get(session_key=session.session_key).session_data
    assert id_token not in str(session.decode(record)) and id_token not in record
    answer = fresh.post("/acces/deconnexion/")
    assert answer.status_code == 302
    target = answer["Location"]
    assert target.startswith(f"{oidc.issuer}/session/end?")
    query = query_of(target)
    assert query["id_token_hint"] == id_token and query["state"]
    assert query["post_logout_redirect_uri"] == "http://127.0.0.1:8000/oidc/deconnecte/"
    assert fresh.get("/acces/dossier/").status_code == 302  # Sceau's session is gone already

    # The provider accepts the hint, asks for confirmation, and sends the browser back.
    page = browser.session.get(target, allow_redirects=False, timeout=10)
    assert page.status_code == 200, page.text[:300]
    form = re.search(r'<form[^>]*action="([^"]+)"', page.text)[1]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    done = browser.session.post(
        requests.compat.urljoin(target, form),
        data={**fields, "logout": "yes"},
        allow_redirects=False,
        timeout=10,
    )
    assert done.status_code in (302, 303)
    assert done.headers["Location"].startswith("http://127.0.0.1:8000/oidc/deconnecte/")
    assert query_of(done.headers["Location"])["state"] == query["state"]
    assert "Vous êtes déconnecté" in fresh.get("/oidc/deconnecte/").content.decode()
    # the provider's session is over: signing in again asks for the login form again
    assert browser.logins == 1
    assert "code" in browser.authorize(start(Client(), "/oidc/connexion/"), name)
    assert browser.logins == 2
