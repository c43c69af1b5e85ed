"""Who is making this request: an officer (web session or API token) or a credential holder."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from sceau.identity import holders
from sceau.identity.models import AccessCredential, User
from sceau.identity.principals import Principal
from sceau.identity.services import credential_for_access_token, user_for_api_token
from sceau.identity.sessions import HOLDER_KEY, mark_started

_OFFICER_ATTR = "_sceau_officer"
HOLDER_SESSION_KEY = HOLDER_KEY
HOLDER_ISSUED_KEY = "sceau_holder_issued_at"


def bearer_token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def officer_for_request(request: HttpRequest) -> User | None:
    """The officer behind a session or a Bearer API token, or None."""
    if hasattr(request, _OFFICER_ATTR):
        return getattr(request, _OFFICER_ATTR)
    user: User | None = None
    token = bearer_token(request)
    if token is not None:
        user = user_for_api_token(token)
    else:
        session_user = getattr(request, "user", None)
        if session_user is not None and session_user.is_authenticated:
            user = session_user
    if user is not None and not user.is_officer:
        user = None
    setattr(request, _OFFICER_ATTR, user)
    return user


def holder_for_session(request: HttpRequest) -> AccessCredential | None:
    """The credential holder signed in on this browser session.

    Idle and absolute limits are enforced before any view by
    :class:`sceau.identity.sessions.SessionLimitsMiddleware`; here, a revoked or re-issued code
    ends the session.
    """
    credential_id = request.session.get(HOLDER_SESSION_KEY)
    if credential_id is None:
        return None
    credential = AccessCredential.objects.filter(pk=credential_id, revoked_at=None).first()
    # A re-issued code ends the sessions opened with the previous one.
    if (
        credential is None
        or request.session.get(HOLDER_ISSUED_KEY) != credential.issued_at.timestamp()
    ):
        request.session.flush()
        return None
    return credential


def start_holder_session(request: HttpRequest, credential: AccessCredential) -> None:
    from django.contrib.auth import logout

    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        logout(request)  # one identity per browser session
    request.session.cycle_key()
    request.session.clear()  # nothing from before the sign-in survives it
    mark_started(request.session)
    request.session[HOLDER_SESSION_KEY] = credential.pk
    request.session[HOLDER_ISSUED_KEY] = credential.issued_at.timestamp()


class OfficerBearer(HttpBearer):
    """API auth for the office software."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_api_token(token)
        if user is None or not user.is_officer:
            return None
        setattr(request, _OFFICER_ATTR, user)
        return user


class StaffBearer(HttpBearer):
    """API auth for officers and auditors (journal reading)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_api_token(token)
        if user is None or not (user.is_officer or user.role == User.AUDITOR):
            return None
        return user


class AccountBearer(HttpBearer):
    """API auth for officers and creditors (Petites créances)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_api_token(token)
        if user is None or not (user.is_officer or user.role == User.CREDITOR):
            return None
        if user.role == User.CREDITOR and user.email_verified_at is None:
            return None
        return user


class HolderBearer(HttpBearer):
    """API auth for recipients, with the token from POST /api/v1/access/login."""

    def authenticate(self, request: HttpRequest, token: str) -> AccessCredential | None:
        return credential_for_access_token(token)


def uploader_for_request(request: HttpRequest) -> object | None:
    """Who may send a file with this request: an officer, a verified creditor, or a holder of
    printed credentials (a debtor's attachment); None for anyone else."""
    officer = officer_for_request(request)
    if officer is not None:
        return officer
    token = bearer_token(request)
    if token is not None:
        user = user_for_api_token(token)
        if user is not None and user.role == User.CREDITOR and user.email_verified_at:
            return user
        return credential_for_access_token(token)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.role == User.CREDITOR:
        return user if user.email_verified_at else None
    if hasattr(request, "session") and request.session.get(HOLDER_SESSION_KEY):
        return holder_for_session(request)
    return None


def may_upload(request: HttpRequest) -> bool:
    """The vault's upload gate: only someone who may deposit a file has it sealed."""
    return uploader_for_request(request) is not None


def principal_for(request: HttpRequest) -> Principal | None:
    """Who acts in this request, as services receive it: an API token's or a session's user,
    or the credential holder of an API or a browser session; None for an anonymous visitor."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, User):
        return Principal.for_user(auth)
    credential = auth if isinstance(auth, AccessCredential) else None
    if credential is None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return Principal.for_user(user)
        if getattr(request, "session", None) is not None:
            credential = holder_for_session(request)
    if credential is None:
        return None
    kind = holders.holder_type(credential.holder_kind)
    holder = kind.get(credential.holder_id)
    return kind.principal(holder) if holder is not None else None
