"""The access-control matrix: every URL pattern and API operation, classified by who may use it.

The test modules beside this one enumerate the URL resolver and the ninja API *automatically* and
fail on any endpoint missing from ``WEB`` or ``API`` below: a new endpoint must be classified
here before the suite goes green again.

Each endpoint is exercised on objects that belong to office 1, recipient A, the debtor and the
creditor of one claim. For every role, the answer must be a refusal (401, 403, 404, or a redirect
to a login page) unless the role is listed as allowed; an allowed role must get through the gate
(anything but a refusal or a server error). Every answer, allowed or not, is searched for marks
of objects that the role must never see (``FOREIGN``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.helpers import deposit, make_pdf, signing_secret

from sceau.core import clock
from sceau.creances import machine
from sceau.creances.models import Claim, Message
from sceau.identity import services as identity
from sceau.identity.models import User
from sceau.notary import services as notary
from sceau.notary.models import Notice
from sceau.pieces import services as pieces

ANON = "anonymous"
RA = "recipient_a"
RB = "recipient_b"
DEBTOR = "debtor"
CREDITOR = "creditor"
O1 = "officer_1"
O2 = "officer_2"
AUDITOR = "auditor"
ROLES = (ANON, RA, RB, DEBTOR, CREDITOR, O1, O2, AUDITOR)
EVERYONE = frozenset(ROLES)
HOLDERS = frozenset({RA, RB, DEBTOR})
OFFICERS = frozenset({O1, O2})

# ASCII marks (JSON escapes accents) of objects, and who must never see them.
DOSSIER_REF = "IP-MATRIX-1"
DOC_A = "piece-alice-matrix.pdf"
DOC_B = "piece-bruno-matrix.pdf"
DEBTOR_NAME = "Paul Matrixdebtor"
FOREIGN = {
    ANON: [DOSSIER_REF, DOC_A, DOC_B, DEBTOR_NAME],
    RA: [DOC_B, DEBTOR_NAME],
    RB: [DOC_A, DEBTOR_NAME],
    DEBTOR: [DOSSIER_REF, DOC_A, DOC_B],
    CREDITOR: [DOSSIER_REF, DOC_A, DOC_B],
    O1: [],
    O2: [DOSSIER_REF, DOC_A, DOC_B, DEBTOR_NAME],
    AUDITOR: [],  # the auditor reads the whole journal (who did what, on which document)
}


@dataclass(frozen=True)
class Rule:
    """Who may use an endpoint, with which methods, on which objects.

    ``allowed`` is ``EVERYONE`` for public endpoints. ``params`` maps each path parameter to a
    key of ``World.ids``.
    """

    allowed: frozenset[str]
    methods: tuple[str, ...] = ("GET",)
    params: dict[str, str] = field(default_factory=dict)
    body: dict | None = None  # a valid JSON body, so that the gate, not validation, answers


def rule(allowed, methods=("GET",), body=None, **params) -> Rule:
    if isinstance(allowed, str):
        allowed = {allowed}
    return Rule(frozenset(allowed), tuple(methods), params, body)


SOON = "2030-01-15"
PERSON = {"name": "Nouveau Destinataire", "address": "1 rue Neuve\n69001 Lyon"}


GET, POST = ("GET",), ("POST",)
PUBLIC = EVERYONE

# --- web pages, by URL name -------------------------------------------------------------------
WEB: dict[str, Rule] = {
    # public: sign-in pages, registration, the home page; logouts end whatever session exists
    "login": rule(PUBLIC),
    "logout": rule(PUBLIC, POST),
    "pieces:home": rule(PUBLIC),
    "access_login": rule(PUBLIC),
    "pieces:access_logout": rule(PUBLIC, POST),
    "creances:register": rule(PUBLIC),
    "creances:verify": rule(PUBLIC, ("GET", "POST"), token="bad_token"),
    # Mes Pièces, the office side: office 1's objects
    "pieces:dossiers": rule(OFFICERS),
    "pieces:dossier_create": rule(OFFICERS),
    "pieces:dossier": rule(O1, dossier_id="dossier"),
    "pieces:recipient_add": rule(O1, POST, dossier_id="dossier"),
    "pieces:upload": rule(O1, POST, dossier_id="dossier"),
    "pieces:journal": rule(O1, dossier_id="dossier"),
    "pieces:evidence": rule(O1, dossier_id="dossier"),
    "pieces:credentials": rule(O1, POST, recipient_id="recipient_a"),
    "pieces:signification": rule(O1, POST, recipient_id="recipient_a"),
    "pieces:extend_short": rule(O1, POST, recipient_id="recipient_a"),
    "pieces:document_extend": rule(O1, POST, document_id="document_a"),
    "pieces:notice_pdf": rule(O1, notice_id="notice_a"),
    "pieces:notice_token": rule(O1, notice_id="notice_a"),
    "pieces:signature_check": rule(OFFICERS),
    # Mes Pièces, the recipient side: recipient A's objects
    "pieces:access_dossier": rule({RA, RB}),
    "pieces:access_view": rule(RA, document_id="document_a"),
    "pieces:access_download": rule(RA, document_id="document_a"),
    "pieces:access_notice_pdf": rule(RA, notice_id="notice_a"),
    "pieces:access_notice_token": rule(RA, notice_id="notice_a"),
    # Petites créances, the creditor's pages: the claim of the creditor
    "creances:creditor_list": rule(CREDITOR),
    "creances:creditor_new": rule(CREDITOR),
    "creances:creditor_claim": rule(CREDITOR, claim_id="claim"),
    "creances:creditor_consent": rule(CREDITOR, POST, claim_id="claim"),
    "creances:creditor_proposal": rule(CREDITOR, POST, claim_id="claim"),
    "creances:creditor_message": rule(CREDITOR, POST, claim_id="claim"),
    "creances:creditor_attachment": rule(
        CREDITOR, claim_id="claim", message_id="attachment_message"
    ),
    "creances:creditor_title": rule(CREDITOR, claim_id="claim"),
    "creances:creditor_record": rule(CREDITOR, claim_id="claim"),
    "creances:creditor_notice_pdf": rule(CREDITOR, notice_id="notice_creditor"),
    "creances:creditor_notice_token": rule(CREDITOR, notice_id="notice_creditor"),
    # the debtor's pages (the claim of their session)
    "creances:debtor": rule(DEBTOR),
    "creances:debtor_answer": rule(DEBTOR, POST),
    "creances:debtor_proposal": rule(DEBTOR, POST),
    "creances:debtor_message": rule(DEBTOR, POST),
    "creances:debtor_attachment": rule(DEBTOR, message_id="attachment_message"),
    "creances:debtor_password": rule(DEBTOR, POST),
    "creances:debtor_title": rule(DEBTOR),
    "creances:debtor_record": rule(DEBTOR),
    "creances:debtor_notice_pdf": rule(DEBTOR, notice_id="notice_debtor"),
    "creances:debtor_notice_token": rule(DEBTOR, notice_id="notice_debtor"),
    # the office's pages of the claim
    "creances:officer_queue": rule(OFFICERS),
    "creances:officer_new": rule(OFFICERS),
    "creances:officer_claim": rule(O1, claim_id="claim"),
    "creances:officer_mandate": rule(O1, POST, claim_id="claim"),
    "creances:officer_invitation": rule(O1, POST, claim_id="claim"),
    "creances:officer_proposal": rule(O1, POST, claim_id="claim"),
    "creances:officer_outcome": rule(O1, POST, claim_id="claim"),
    "creances:officer_message": rule(O1, POST, claim_id="claim"),
    "creances:officer_attachment": rule(O1, claim_id="claim", message_id="attachment_message"),
    "creances:officer_title": rule(O1, claim_id="claim"),
    "creances:officer_record": rule(O1, claim_id="claim"),
    # officers' certificates: without a trusted proxy's verified certificate, a 403 page for all
    "certificate_login": rule(PUBLIC, ("GET", "POST")),
    "certificate_refused": rule(PUBLIC),
    # OpenID Connect (the matrix runs with the test provider configured)
    "oidc_login": rule(PUBLIC, POST),
    "oidc_callback": rule(PUBLIC),  # 400 without the pending state of this browser
    "oidc_choose": rule(PUBLIC, ("GET", "POST")),  # 400 without a pending choice
    "oidc_link": rule({RA, RB, DEBTOR, CREDITOR}, POST),
    "oidc_unlink": rule({RA, RB, DEBTOR, CREDITOR}, POST),
    "oidc_logged_out": rule(PUBLIC),
    # the API's documentation
    "api-v1:openapi-json": rule(PUBLIC),
    "api-v1:openapi-view": rule(PUBLIC),
    "api-v1:api-root": rule(PUBLIC),
}

# --- API operations, by "METHOD /path" as ninja declares them -----------------------------------
API: dict[str, Rule] = {
    # Mes Pièces, the office software
    "GET /dossiers": rule(OFFICERS),
    "POST /dossiers": rule(
        OFFICERS,
        POST,
        {"reference": "IP-NEW", "creditor": "C", "court": "TJ", "recipients": [PERSON]},
    ),
    "GET /dossiers/{dossier_id}": rule(O1, dossier_id="dossier"),
    "POST /dossiers/{dossier_id}/recipients": rule(O1, POST, PERSON, dossier_id="dossier"),
    "POST /recipients/{recipient_id}/credentials": rule(O1, POST, recipient_id="recipient_a"),
    "POST /recipients/{recipient_id}/signification": rule(
        O1, POST, {"date": "2026-11-02"}, recipient_id="recipient_a"
    ),
    "POST /recipients/{recipient_id}/extend-short-documents": rule(
        O1, POST, recipient_id="recipient_a"
    ),
    "POST /dossiers/{dossier_id}/documents": rule(O1, POST, dossier_id="dossier"),
    "GET /documents/{document_id}": rule(O1, document_id="document_a"),
    "POST /documents/{document_id}/extension": rule(
        O1, POST, {"until": SOON}, document_id="document_a"
    ),
    "GET /documents/{document_id}/consultations": rule(O1, document_id="document_a"),
    "GET /dossiers/{dossier_id}/journal": rule(O1, dossier_id="dossier"),
    "GET /dossiers/{dossier_id}/notices": rule(O1, dossier_id="dossier"),
    "GET /dossiers/{dossier_id}/evidence": rule(O1, dossier_id="dossier"),
    "POST /notary/validate": rule(OFFICERS, POST),
    # credential holders (recipients and debtors)
    "POST /access/login": rule(PUBLIC, POST, {"identifier": "MP-NOPE", "code": "NOPE"}),
    "POST /access/logout": rule(HOLDERS, POST),
    "POST /access/password": rule(HOLDERS, POST, {"password": "a long enough passphrase 42"}),
    "GET /access/dossier": rule({RA, RB}),
    "GET /access/documents": rule({RA, RB}),
    "GET /access/documents/{document_id}/content": rule(RA, document_id="document_a"),
    "GET /access/notices": rule({RA, RB}),  # a debtor reads notices on the claim
    "GET /notices/{notice_id}": rule({O1, RA}, notice_id="notice_a"),
    "GET /notices/{notice_id}/pdf": rule({O1, RA}, notice_id="notice_a"),
    "GET /notices/{notice_id}/token": rule({O1, RA}, notice_id="notice_a"),
    # the transparency log: public, except the entries (staff)
    "GET /journal/tree-head": rule(PUBLIC),
    "GET /journal/public-keys": rule(PUBLIC),
    "GET /journal/public-keys.pem": rule(PUBLIC),
    "GET /journal/checkpoint": rule(PUBLIC),
    "GET /journal/checkpoint.vkey": rule(PUBLIC),
    "GET /journal/proofs/inclusion": rule(PUBLIC),
    "GET /journal/proofs/consistency": rule(PUBLIC),
    "GET /journal/entries": rule({O1, O2, AUDITOR}),
    "GET /notary/tsa-certificates": rule(PUBLIC),
    # Petites créances: creditors and offices
    "POST /claims": rule({CREDITOR, O1, O2}, POST, {"basis": "contractual"}),
    "GET /claims": rule({CREDITOR, O1, O2}),
    "GET /claims/{claim_id}": rule({CREDITOR, O1}, claim_id="claim"),
    "POST /claims/{claim_id}/mandate": rule(O1, POST, {"accept": True}, claim_id="claim"),
    "POST /claims/{claim_id}/invitation": rule(
        O1, POST, {"sent_on": SOON, "channel": "post"}, claim_id="claim"
    ),
    "POST /claims/{claim_id}/proposal": rule(
        O1,
        POST,
        {"amount": "100.00", "instalments": [{"due": SOON, "amount": "100.00"}]},
        claim_id="claim",
    ),
    "POST /claims/{claim_id}/proposal/answer": rule(
        CREDITOR, POST, {"accept": True}, claim_id="claim"
    ),
    "POST /claims/{claim_id}/outcome": rule(
        O1, POST, {"outcome": "agreement", "signing_secret": "x"}, claim_id="claim"
    ),
    "GET /claims/{claim_id}/title": rule({CREDITOR, O1}, claim_id="claim"),
    "GET /claims/{claim_id}/record": rule({CREDITOR, O1}, claim_id="claim"),
    "POST /claims/{claim_id}/messages": rule(
        {CREDITOR, O1}, POST, {"text": "Bonjour"}, claim_id="claim"
    ),
    "POST /claims/{claim_id}/attachments": rule({CREDITOR, O1}, POST, claim_id="claim"),
    "POST /claims/{claim_id}/credentials": rule(O1, POST, claim_id="claim"),
    # Petites créances: the debtor
    "GET /access/claims": rule(DEBTOR),
    "POST /access/claims/{claim_id}/answer": rule(
        DEBTOR, POST, {"decision": "accept"}, claim_id="claim"
    ),
    "POST /access/claims/{claim_id}/proposal/answer": rule(
        DEBTOR, POST, {"accept": True}, claim_id="claim"
    ),
    "GET /access/claims/{claim_id}/title": rule(DEBTOR, claim_id="claim"),
    "POST /access/claims/{claim_id}/messages": rule(
        DEBTOR, POST, {"text": "Bonjour"}, claim_id="claim"
    ),
    "POST /access/claims/{claim_id}/attachments": rule(DEBTOR, POST, claim_id="claim"),
}


# --- enumeration ----------------------------------------------------------------------------


def web_endpoints() -> dict[str, str]:
    """Every named URL pattern outside the API's operations: name -> route."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found: dict[str, str] = {}

    def walk(patterns, prefix: str, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                name = f"{namespace}{p.name}" if p.name else f"<unnamed {route}>"
                if route.startswith("/api/v1/") and name not in WEB:
                    continue  # an API operation: enumerated from ninja below, and checked there
                found[name] = route

    walk(get_resolver().url_patterns, "/", "")
    return found


def api_endpoints() -> dict[str, str]:
    """Every ninja operation: "METHOD /path" -> the full path template."""
    from sceau.api.v1 import api

    found = {}
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            full = (prefix.rstrip("/") + path) if prefix != "/" else path
            for operation in view.operations:
                for method in operation.methods:
                    found[f"{method} {full}"] = "/api/v1" + full
    return found


def api_routes_served() -> set[str]:
    """The API paths the URL resolver serves (to check the ninja enumeration covers them)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    served = set()

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                served.add(prefix + str(p.pattern))

    walk(get_resolver().url_patterns, "/")
    return {r for r in served if r.startswith("/api/v1/")}


def fill(route: str, rule_: Rule, ids: dict[str, object]) -> str:
    """Replace Django converters (<int:x>) and ninja placeholders ({x}) with the world's ids."""

    def value(name: str) -> str:
        key = rule_.params.get(name)
        assert key is not None, f"{route}: parameter {name!r} has no object in the matrix"
        return str(ids[key])

    route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: value(m.group(1)), route)
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: value(m.group(1)), route)


# --- the world --------------------------------------------------------------------------------


@dataclass
class World:
    ids: dict[str, object]
    web: dict[str, Client]
    api: dict[str, Client]
    secrets: list[str]  # every password, code and token issued while building it


def _bearer(token: str | None) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"} if token else {})


def _holder_token(identifier: str, code: str) -> str:
    answer = Client().post(
        "/api/v1/access/login",
        {"identifier": identifier, "code": code},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    return answer.json()["token"]


def _holder_web(identifier: str, code: str) -> Client:
    client = Client()
    assert client.post("/acces/", {"identifier": identifier, "code": code}).status_code == 302
    return client


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def build_world() -> World:
    """Two offices, a dossier with recipients A and B, a closed claim with its signed title."""
    office1 = identity.create_office("Étude Une", "1 quai\n69002 Lyon", departments="69,01,42")
    office2 = identity.create_office("Étude Deux", "2 rue\n75001 Paris", departments="75")
    officer1 = identity.create_officer(office1, "o1@matrix.test", "Maître Une", "pw-officer-1234")
    officer2 = identity.create_officer(office2, "o2@matrix.test", "Maître Deux", "pw-officer-1234")
    notary.use_test_certificate(officer1)
    auditor = identity.create_officer(
        None, "audit@matrix.test", "Auditrice", "pw-auditor-12345", role=User.AUDITOR
    )
    creditor, verification = identity.register_creditor(
        "creditor@matrix.test", "Société Créancière", "pw-creditor-123456"
    )
    identity.verify_email(verification)
    creditor.refresh_from_db()
    secrets = ["pw-officer-1234", "pw-auditor-12345", "pw-creditor-123456", verification]

    dossier = pieces.create_dossier(
        officer1,
        DOSSIER_REF,
        "Créancier SA",
        "Tribunal judiciaire de Lyon",
        [
            pieces.RecipientInput("Alice Matrix", "3 rue C\n69002 Lyon"),
            pieces.RecipientInput("Bruno Matrix", "4 rue D\n69003 Lyon"),
        ],
    )
    recipient_a, recipient_b = dossier.recipients.order_by("pk")
    document_a = deposit(officer1, dossier, make_pdf("A"), DOC_A, [recipient_a.pk])
    deposit(officer1, dossier, make_pdf("B"), DOC_B, [recipient_b.pk])
    issued_a = pieces.issue_credentials(officer1, recipient_a)
    issued_b = pieces.issue_credentials(officer1, recipient_b)
    secrets += [issued_a.code, issued_b.code]

    tokens = {
        O1: identity.issue_api_token(officer1, "matrix"),
        O2: identity.issue_api_token(officer2, "matrix"),
        AUDITOR: identity.issue_api_token(auditor, "matrix"),
        CREDITOR: identity.issue_api_token(creditor, "matrix"),
    }
    office_api = _bearer(tokens[O1])
    creditor_api = _bearer(tokens[CREDITOR])
    filed = creditor_api.post(
        "/api/v1/claims",
        {
            "debtor": {
                "name": DEBTOR_NAME,
                "address": "8 rue Y\n69003 Lyon",
                "postal_code": "69003",
                "email": "paul@matrix.test",
            },
            "basis": "contractual",
            "description": "Facture impayée",
            "principal": "1200.00",
            "interest": "0.00",
            "creditor": {"name": "(compte)", "address": "5 rue X\n69001 Lyon"},
            "office_id": office1.pk,
        },
        content_type="application/json",
    )
    assert filed.status_code == 201, filed.content
    cid = filed.json()["id"]

    def office(path: str, body: dict) -> dict:
        answer = office_api.post(f"/api/v1/claims/{cid}{path}", body, "application/json")
        assert answer.status_code in (200, 201), (path, answer.content)
        return answer.json()

    office("/mandate", {"accept": True})
    today = clock.today()
    invitation = office("/invitation", {"sent_on": today.isoformat(), "channel": "post"})
    tokens[DEBTOR] = _holder_token(invitation["identifier"], invitation["code"])
    debtor_api = _bearer(tokens[DEBTOR])
    answer = debtor_api.post(
        f"/api/v1/access/claims/{cid}/answer", {"decision": "accept"}, "application/json"
    )
    assert answer.status_code == 200, answer.content
    attached = creditor_api.post(
        f"/api/v1/claims/{cid}/attachments",
        {"file": SimpleUploadedFile("facture.pdf", make_pdf("facture")), "text": "La facture"},
    )
    assert attached.status_code == 201, attached.content
    due = (today + timedelta(days=20)).isoformat()
    office("/proposal", {"amount": "1200.00", "instalments": [{"due": due, "amount": "1200.00"}]})
    for client, path in (
        (creditor_api, f"/api/v1/claims/{cid}/proposal/answer"),
        (debtor_api, f"/api/v1/access/claims/{cid}/proposal/answer"),
    ):
        answer = client.post(path, {"accept": True}, "application/json")
        assert answer.status_code == 200, answer.content
    office("/outcome", {"outcome": "agreement", "signing_secret": signing_secret()})
    claim = Claim.objects.get(pk=cid)
    assert claim.state == machine.CLOSED and claim.title_pdf

    tokens[RA] = _holder_token(issued_a.identifier, issued_a.code)
    tokens[RB] = _holder_token(issued_b.identifier, issued_b.code)
    secrets += [invitation["code"], signing_secret(), *tokens.values()]
    notary.stamp_pending()
    web = {
        ANON: Client(),
        RA: _holder_web(issued_a.identifier, issued_a.code),
        RB: _holder_web(issued_b.identifier, issued_b.code),
        DEBTOR: _holder_web(invitation["identifier"], invitation["code"]),
        CREDITOR: _signed_in(creditor),
        O1: _signed_in(officer1),
        O2: _signed_in(officer2),
        AUDITOR: _signed_in(auditor),
    }
    ids = {
        "dossier": dossier.pk,
        "recipient_a": recipient_a.pk,
        "document_a": document_a.pk,
        "notice_a": Notice.objects.filter(context="pieces", recipient_id=recipient_a.pk).first().pk,
        "claim": cid,
        "attachment_message": Message.objects.get(claim_id=cid, blob__isnull=False).pk,
        "notice_creditor": Notice.objects.filter(context="creances", party="creditor").first().pk,
        "notice_debtor": Notice.objects.filter(context="creances", party="debtor").first().pk,
        "bad_token": "not-a-real-verification-token",
    }
    api = {role: _bearer(tokens.get(role)) for role in ROLES}
    return World(ids=ids, web=web, api=api, secrets=secrets)
