"""Idle and absolute limits of web sessions, enforced on the server for every kind of session.

* Officers, auditors and creditors: ``SCEAU_OFFICER_IDLE_MINUTES`` idle (30 by default).
* Credential holders (recipients, debtors): ``SCEAU_RECIPIENT_SESSION_MINUTES`` idle (15).
* Everyone: ``SCEAU_SESSION_MAX_HOURS`` after sign-in, whatever the activity (8).

The session cookie has no expiry date (it ends with the browser), and the server-side record is
deleted when a limit is reached, so an old cookie replayed later opens nothing. The times are
kept inside the session, which the browser cannot read or change.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

STARTED_KEY = "sceau_started_at"
SEEN_KEY = "sceau_seen_at"
EXPIRED_KEY = "sceau_session_expired"  # set in the fresh session: the next page says why
HOLDER_KEY = "sceau_holder_credential"  # kept in step with identity.auth.HOLDER_SESSION_KEY


def mark_started(session) -> None:
    """Call right after a sign-in (which must also have given a new session id)."""
    now = time.time()
    session[STARTED_KEY] = now
    session[SEEN_KEY] = now


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    """After Django's login (which gave a new id): keep nothing from before the sign-in."""
    if request is None or not hasattr(request, "session"):
        return
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = request.session
    keep = {
        k: session[k] for k in (SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY) if k in session
    }
    session.clear()
    session.update(keep)
    mark_started(session)


def expired(session, now: float | None = None) -> bool:
    """Whether a signed-in session has passed its idle or absolute limit."""
    cfg = settings.CONFIG
    now = time.time() if now is None else now
    started = session.get(STARTED_KEY)
    seen = session.get(SEEN_KEY)
    if started is None or seen is None:
        return True  # a signed-in session that never went through a sign-in service
    idle = cfg.recipient_session_seconds if session.get(HOLDER_KEY) else cfg.officer_idle_seconds
    return now - started > cfg.session_max_seconds or now - seen > idle


class SessionLimitsMiddleware:
    """Ends expired sessions before any view runs (place after AuthenticationMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        signed_in = bool(user is not None and user.is_authenticated)
        if session is not None and (signed_in or session.get(HOLDER_KEY) is not None):
            if expired(session):
                logout(request)  # flushes the server-side record and gives a new empty session
                request.session[EXPIRED_KEY] = True
            else:
                session[SEEN_KEY] = time.time()
        return self.get_response(request)


# --- secrets kept in a session ---------------------------------------------------------------
# The session record lives in the database: a secret that must stay in it (the OpenID Connect
# ID token, sent back to the provider at logout) is kept encrypted there, with a key derived
# from SCEAU_SECRET_KEY (AES-256-GCM, the session key as associated data, so a sealed value
# copied into another session does not open).

_SESSION_SEAL_INFO = b"sceau session secrets v1"


def _session_key() -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SESSION_SEAL_INFO).derive(
        settings.SECRET_KEY.encode()
    )


def seal_for_session(session, value: str) -> str:
    """``value`` encrypted for this session (base64url text)."""
    import base64
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if session.session_key is None:
        session.save()  # the key is the associated data: it must exist first
    nonce = os.urandom(12)
    sealed = AESGCM(_session_key()).encrypt(nonce, value.encode(), session.session_key.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def open_from_session(session, sealed: str | None) -> str | None:
    """The value of :func:`seal_for_session`, or None if absent or not sealed for it."""
    import base64

    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not sealed or session.session_key is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        return (
            AESGCM(_session_key())
            .decrypt(raw[:12], raw[12:], session.session_key.encode())
            .decode()
        )
    except (InvalidTag, ValueError):
        return None
