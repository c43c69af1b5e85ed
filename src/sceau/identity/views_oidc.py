"""Pages of the OpenID Connect sign-in (FranceConnect-compatible) for parties.

``/oidc/connexion/`` (POST) and ``/oidc/rattacher/`` (POST, a signed-in party) send the browser
to the provider; ``/oidc/retour/`` checks the answer and signs in or links; ``/oidc/choisir/``
lets an identity linked to several accesses pick one; ``/oidc/detacher/`` (POST) unlinks;
``/oidc/deconnecte/`` is where the provider sends the browser back after logout.

What the callback needs (state, nonce, PKCE verifier, intent, and for a link who asked) stays
in the server-side session, keyed by ``state``, for 10 minutes and is removed at first use.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sceau.core.errors import PermissionDenied, SceauError
from sceau.core.web import error_back, render_error
from sceau.identity import oidc_services as services
from sceau.identity.auth import HOLDER_SESSION_KEY, holder_for_session, start_holder_session
from sceau.identity.models import AccessCredential
from sceau.identity.oidc import (
    OidcClient,
    OidcError,
    OidcStateInvalid,
    ProviderSettings,
    VerifiedIdentity,
)
from sceau.identity.proxy import client_address as client_ip
from sceau.identity.sessions import open_from_session, seal_for_session

log = logging.getLogger(__name__)

PENDING_KEY = "sceau_oidc_pending"
CHOICE_KEY = "sceau_oidc_choice"
ID_TOKEN_KEY = "sceau_oidc_id_token"  # noqa: S105 (a session key name)
PENDING_SECONDS = 600  # an authorization request (or a choice) must be answered within this
MAX_PENDING = 5  # authorization requests kept per session (several tabs)
CALLBACK_PATH = "/oidc/retour/"
LOGGED_OUT_PATH = "/oidc/deconnecte/"


def provider_settings() -> ProviderSettings | None:
    return ProviderSettings.from_config(settings.CONFIG)


def _client() -> OidcClient:
    provider = provider_settings()
    if provider is None:
        raise Http404("OpenID Connect is not configured")
    return OidcClient(provider)


def _redirect_uri() -> str:
    return settings.CONFIG.public_url + CALLBACK_PATH


def current_party(request: HttpRequest) -> services.Party | None:
    """The party signed in on this browser: a credential holder or a creditor."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return services.Party(user=user)
    if request.session.get(HOLDER_SESSION_KEY) is None:
        return None
    credential = holder_for_session(request)
    return services.Party(credential=credential) if credential is not None else None


# --- starting: sign in, link ---------------------------------------------------------------


def _start(request: HttpRequest, intent: str, party: dict[str, Any] | None) -> HttpResponse:
    client = _client()
    try:
        auth = client.begin(_redirect_uri())
    except OidcError as exc:
        log.warning("oidc: cannot start (%s)", exc.reason)
        return render_error(request, exc)
    now = time.time()
    pending = {
        state: item
        for state, item in request.session.get(PENDING_KEY, {}).items()
        if now - item["created"] < PENDING_SECONDS
    }
    while len(pending) >= MAX_PENDING:
        pending.pop(min(pending, key=lambda s: pending[s]["created"]))
    pending[auth.state] = {
        "nonce": auth.nonce,
        "verifier": auth.code_verifier,
        "intent": intent,
        "party": party,
        "created": now,
    }
    request.session[PENDING_KEY] = pending
    return redirect(auth.url)


@require_POST
def oidc_login(request: HttpRequest) -> HttpResponse:
    """The "Se connecter avec ..." button of /acces/ and /connexion/."""
    return _start(request, "login", None)


def _party_marker(party: services.Party) -> dict[str, Any]:
    if party.credential is not None:
        return {
            "kind": "credential",
            "id": party.credential.pk,
            "issued": party.credential.issued_at.timestamp(),
        }
    return {"kind": "user", "id": party.user.pk}


def _same_party(marker: dict[str, Any] | None, party: services.Party | None) -> bool:
    return bool(marker and party and marker == _party_marker(party))


@require_POST
@error_back("/")
def oidc_link(request: HttpRequest) -> HttpResponse:
    """The "Rattacher mon identité ..." button of a party signed in (code or account)."""
    _client()  # 404 when not configured
    party = current_party(request)
    if party is None:
        return redirect("access_login")
    services.require_party_may_link(party)
    return _start(request, "link", _party_marker(party))


@require_POST
@error_back("/")
def oidc_unlink(request: HttpRequest) -> HttpResponse:
    client = _client()
    party = current_party(request)
    if party is None:
        return redirect("access_login")
    services.require_party_may_link(party)
    label = client.provider.label
    if services.unlink(party, client.provider.issuer, client_ip(request)):
        messages.success(
            request,
            f"Votre identité {label} est détachée : elle ne permet plus d'accéder à ce "
            "dossier. Connectez-vous désormais avec vos identifiants habituels.",
        )
    else:
        messages.info(request, f"Aucune identité {label} n'était rattachée.")
    return redirect(party.home())


# --- the answer ----------------------------------------------------------------------------


def _refuse(request: HttpRequest, exc: OidcError, intent: str, back: str) -> HttpResponse:
    services.record_callback_refused(exc.reason, intent, client_ip(request))
    log.info("oidc: callback refused (%s)", exc.reason)
    return render_error(request, exc, back=back)


@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    client = _client()
    params = {k: v for k, v in request.GET.items() if isinstance(v, str)}
    state = params.get("state", "")
    pending = dict(request.session.get(PENDING_KEY, {}))
    item = pending.pop(state, None) if state else None
    if item is not None:
        request.session[PENDING_KEY] = pending  # single use, whatever comes next
    intent = item["intent"] if item else "unknown"
    back = "/acces/"
    if item is None:
        reason = "state_missing" if not state else "state_unknown"
        return _refuse(request, OidcStateInvalid(reason), intent, back)
    if time.time() - item["created"] > PENDING_SECONDS:
        return _refuse(request, OidcStateInvalid("state_expired"), intent, back)
    try:
        identity = client.finish(
            params,
            nonce=item["nonce"],
            code_verifier=item["verifier"],
            redirect_uri=_redirect_uri(),
        )
    except OidcError as exc:
        return _refuse(request, exc, intent, back)
    if intent == "link":
        return _finish_link(request, client, identity, item.get("party"))
    return _finish_login(request, client, identity)


def _finish_link(
    request: HttpRequest,
    client: OidcClient,
    identity: VerifiedIdentity,
    marker: dict[str, Any] | None,
) -> HttpResponse:
    party = current_party(request)
    if not _same_party(marker, party):
        # The session changed hands (signed out, another access) since the request was made.
        if party is not None:
            services.record_link_refused(party, "party_changed", client_ip(request))
        else:
            services.record_callback_refused("link_party_changed", "link", client_ip(request))
        return render_error(
            request,
            OidcStateInvalid(
                "link_party_changed",
                "Vous n'êtes plus connecté avec l'accès qui a demandé le rattachement : "
                "reconnectez-vous avec vos identifiants, puis recommencez.",
            ),
            back="/acces/",
        )
    try:
        _, created = services.link(party, identity, client_ip(request))
    except SceauError as exc:
        return render_error(request, exc, back=party.home())
    label = client.provider.label
    if created:
        messages.success(
            request,
            f"Votre identité {label} ({identity.display_name}) est rattachée. Vous pourrez "
            f"désormais vous connecter avec le bouton « Se connecter avec {label} ».",
        )
    else:
        messages.info(request, f"Cette identité {label} était déjà rattachée.")
    return redirect(party.home())


def _finish_login(
    request: HttpRequest, client: OidcClient, identity: VerifiedIdentity
) -> HttpResponse:
    found = services.candidates(identity)
    ip = client_ip(request)
    if not found.parties:
        reason = found.problems[0] if found.problems else "unknown_identity"
        services.record_login_refused(identity, reason, ip)
        return render(
            request,
            "identity/oidc_unknown.html",
            {"label": client.provider.label, "identity": identity, "stale": bool(found.problems)},
            status=403,
        )
    if len(found.parties) == 1:
        return _sign_in(request, identity, found.parties[0])
    request.session[CHOICE_KEY] = {
        "issuer": identity.issuer,
        "subject": identity.subject,
        "given_name": identity.given_name,
        "family_name": identity.family_name,
        "acr": identity.acr,
        "id_token": seal_for_session(request.session, identity.id_token),
        "created": time.time(),
    }
    return redirect("oidc_choose")


def _sign_in(
    request: HttpRequest, identity: VerifiedIdentity, party: services.Party
) -> HttpResponse:
    try:
        services.record_login(identity, party, client_ip(request))
    except PermissionDenied as exc:
        services.record_login_refused(identity, "link_invalidated", client_ip(request))
        return render_error(request, exc, back="/acces/")
    logout(request)  # a new session: nothing of the previous one survives
    if party.user is not None:
        login(request, party.user, backend="django.contrib.auth.backends.ModelBackend")
    else:
        start_holder_session(request, party.credential)
    # for the provider's logout only, encrypted in the session record
    request.session[ID_TOKEN_KEY] = seal_for_session(request.session, identity.id_token)
    return redirect(party.home())


# --- several accesses ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def oidc_choose(request: HttpRequest) -> HttpResponse:
    """An identity linked to several accesses (a debtor with several cases): pick one."""
    client = _client()
    data = request.session.get(CHOICE_KEY)
    if not data or time.time() - data["created"] > PENDING_SECONDS:
        request.session.pop(CHOICE_KEY, None)
        return render_error(
            request,
            OidcStateInvalid(
                "no_choice",
                "Aucun choix de dossier n'est en cours (ou il a expiré) : reconnectez-vous.",
            ),
            back="/acces/",
        )
    identity = VerifiedIdentity(
        issuer=data["issuer"],
        subject=data["subject"],
        given_name=data["given_name"],
        family_name=data["family_name"],
        birthdate="",
        email="",
        acr=data["acr"],
        id_token=open_from_session(request.session, data["id_token"]) or "",
    )
    if identity.issuer != client.provider.issuer:
        request.session.pop(CHOICE_KEY, None)
        raise Http404("provider changed")
    parties = services.candidates(identity).parties
    error, status = None, 200
    if request.method == "POST":
        party = services.candidate(identity, request.POST.get("access", ""))
        if party is not None:
            request.session.pop(CHOICE_KEY, None)
            return _sign_in(request, identity, party)
        error, status = "Choisissez l'un des accès proposés.", 400
    if not parties:
        request.session.pop(CHOICE_KEY, None)
        services.record_login_refused(identity, "links_invalidated", client_ip(request))
        return render(
            request,
            "identity/oidc_unknown.html",
            {"label": client.provider.label, "identity": identity, "stale": True},
            status=403,
        )
    return render(
        request,
        "identity/oidc_choose.html",
        {
            "label": client.provider.label,
            "identity": identity,
            "options": [{"key": p.key, "label": p.label()} for p in parties],
            "error": error,
        },
        status=status,
    )


# --- logout --------------------------------------------------------------------------------


def provider_logout_url(request: HttpRequest) -> str | None:
    """Where to send the browser to end the provider's session too (RP-initiated logout), if
    this session was opened with the provider. Read it before flushing the session."""
    id_token = open_from_session(request.session, request.session.get(ID_TOKEN_KEY))
    provider = provider_settings()
    if not id_token or provider is None:
        return None
    return OidcClient(provider).logout_url(
        id_token, settings.CONFIG.public_url + LOGGED_OUT_PATH, secrets.token_urlsafe(16)
    )


@require_GET
def oidc_logged_out(request: HttpRequest) -> HttpResponse:
    client = _client()  # 404 when not configured
    return render(request, "identity/oidc_logged_out.html", {"label": client.provider.label})


def link_section_context(request: HttpRequest) -> dict[str, Any] | None:
    """For a party's page: the provider's label and the identity linked, if any."""
    provider = provider_settings()
    if provider is None:
        return None
    party = None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        if not services.may_link(user):
            return None
        party = services.Party(user=user)
    else:
        credential_id = request.session.get(HOLDER_SESSION_KEY)
        credential = (
            AccessCredential.objects.filter(pk=credential_id).first() if credential_id else None
        )
        if credential is not None:
            party = services.Party(credential=credential)
    if party is None:
        return None
    return {"label": provider.label, "linked": services.linked_identity(party, provider.issuer)}


def login_button_context() -> dict[str, Any] | None:
    provider = provider_settings()
    return {"label": provider.label} if provider is not None else None
