"""Server-side session limits, a new session id at every sign-in, logout on the server."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from tests.helpers import PASSWORD, otp_for

from sceau.identity.sessions import SEEN_KEY, STARTED_KEY
from sceau.pieces import services as pieces


def _age(client: Client, **seconds_ago: float) -> None:
    session = client.session
    now = time.time()
    if "seen" in seconds_ago:
        session[SEEN_KEY] = now - seconds_ago["seen"]
    if "started" in seconds_ago:
        session[STARTED_KEY] = now - seconds_ago["started"]
    session.save()


def _holder_client(officer, recipient) -> Client:
    issued = pieces.issue_credentials(officer, recipient)
    client = Client()
    answer = client.post("/acces/", {"identifier": issued.identifier, "code": issued.code})
    assert answer.status_code == 302
    return client


@pytest.fixture
def officer_client(world) -> Client:
    client = Client()
    client.force_login(world.officer)
    assert client.get("/etude/").status_code == 200
    return client


def test_officer_session_ends_after_idle_time(officer_client, settings):
    idle = settings.CONFIG.officer_idle_seconds
    _age(officer_client, seen=idle - 60)
    assert officer_client.get("/etude/").status_code == 200  # activity keeps it open
    key = officer_client.session.session_key
    _age(officer_client, seen=idle + 1)
    answer = officer_client.get("/etude/")
    assert answer.status_code == 302 and "/connexion/" in answer["Location"]
    assert not Session.objects.filter(session_key=key).exists()  # gone on the server
    page = officer_client.get(answer["Location"]).content.decode()
    assert "Votre session a pris fin" in page  # said once, on the login page
    assert "Votre session a pris fin" not in officer_client.get("/connexion/").content.decode()


def test_officer_session_has_an_absolute_limit_despite_activity(officer_client, settings):
    _age(officer_client, seen=1, started=settings.CONFIG.session_max_seconds + 1)
    answer = officer_client.get("/etude/")
    assert answer.status_code == 302 and "/connexion/" in answer["Location"]


def test_holder_session_ends_after_fifteen_idle_minutes(world, settings):
    assert settings.CONFIG.recipient_session_seconds == 15 * 60
    client = _holder_client(world.officer, world.recipient_a)
    _age(client, seen=14 * 60)
    assert client.get("/acces/dossier/").status_code == 200
    _age(client, seen=15 * 60 + 1)
    answer = client.get("/acces/dossier/")
    assert answer.status_code == 302 and answer["Location"].endswith("/acces/")
    assert client.get("/acces/dossier/").status_code == 302  # it does not come back


def test_holder_session_has_an_absolute_limit(world, settings):
    client = _holder_client(world.officer, world.recipient_a)
    _age(client, seen=1, started=settings.CONFIG.session_max_seconds + 1)
    assert client.get("/acces/dossier/").status_code == 302


def test_sign_in_gives_a_new_session_id_and_logout_deletes_it(world):
    client = Client()
    primed = client.session
    primed["planted"] = "by an attacker who fixed this id"
    primed.save()
    fixed = primed.session_key
    client.cookies["sessionid"] = fixed
    answer = client.post(
        "/connexion/",
        {"email": world.officer.email, "password": PASSWORD, "otp": otp_for(world.officer)},
    )
    assert answer.status_code == 302
    key = client.cookies["sessionid"].value
    assert key != fixed and not Session.objects.filter(session_key=fixed).exists()
    assert "planted" not in client.session
    assert client.post("/deconnexion/").status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies["sessionid"] = key  # the old cookie opens nothing
    assert replay.get("/etude/").status_code == 302


def test_holder_sign_in_gives_a_new_session_id_and_logout_deletes_it(world):
    issued = pieces.issue_credentials(world.officer, world.recipient_a)
    client = Client()
    primed = client.session
    primed.save()
    fixed = primed.session_key
    client.cookies["sessionid"] = fixed
    client.post("/acces/", {"identifier": issued.identifier, "code": issued.code})
    key = client.cookies["sessionid"].value
    assert key != fixed
    assert client.post("/acces/deconnexion/").status_code == 302
    assert not Session.objects.filter(session_key=key).exists()


def test_cookies_are_httponly_and_samesite(world):
    client = Client()
    answer = client.post(
        "/connexion/",
        {"email": world.officer.email, "password": PASSWORD, "otp": otp_for(world.officer)},
    )
    cookie = answer.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert not cookie["expires"] and not cookie["max-age"]  # ends with the browser


def test_behind_tls_cookies_are_secure_host_only_and_hsts_is_sent(tmp_path):
    probe = (
        "import sceau.settings as s; print(s.SESSION_COOKIE_NAME, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_NAME, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "SCEAU_DATA_DIR": str(tmp_path),
        "SCEAU_HTTPS": "true",
        "SCEAU_TRUSTED_PROXIES": "127.0.0.2",
        "SCEAU_PUBLIC_URL": "https://mespieces.example",
    }
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["__Host-sceau_session", "True", "__Host-csrftoken", "True", "31536000"]


@pytest.mark.parametrize(
    "path", ["/", "/connexion/", "/acces/", "/creances/compte/inscription/", "/api/v1/docs"]
)
def test_security_headers_on_every_page(db, path):
    answer = Client().get(path)
    csp = answer["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert "frame-ancestors 'none'" in csp
    assert answer["X-Frame-Options"] == "DENY"
    assert answer["Referrer-Policy"] == "same-origin"
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert answer["Cache-Control"] == "no-store"
