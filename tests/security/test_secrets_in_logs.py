"""No password, code or token ever reaches a log or the journal (ANSSI: secrets are not logged).

Every logger is opened at DEBUG while the flows run (sign-ins that succeed and fail, API tokens,
printed codes, registration and its e-mail link, the officer's signing passphrase), then every
record, every journal entry and every notice is searched for every secret issued.
"""

from __future__ import annotations

import logging
import re

import pytest
from django.core import mail
from django.test import Client
from tests.helpers import otp_for
from tests.security.matrix import build_world

from sceau.journal.models import JournalEntry
from sceau.notary.models import Notice


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        parts = [record.getMessage(), repr(record.args)]
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
        parts.extend(repr(v) for v in vars(record).values())
        self.texts.append("\n".join(parts))


@pytest.fixture
def every_log():
    capture = _Capture()
    root = logging.getLogger()
    loggers = [root] + [
        logging.getLogger(name)
        for name, obj in logging.root.manager.loggerDict.items()
        if isinstance(obj, logging.Logger)
    ]
    levels = [(lg, lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.propagate = True
    root.addHandler(capture)
    yield capture
    root.removeHandler(capture)
    for lg, level, propagate in levels:
        lg.setLevel(level)
        lg.propagate = propagate


def test_no_secret_reaches_a_log_or_the_journal(db, every_log):
    world = build_world()
    secrets = list(world.secrets)

    # an officer signs in with password and TOTP, after a failure
    from sceau.identity.models import User

    officer = User.objects.get(email="o1@matrix.test")
    client = Client()
    client.post("/connexion/", {"email": officer.email, "password": "wrong-guess-1", "otp": "1"})
    otp = otp_for(officer)
    assert (
        client.post(
            "/connexion/", {"email": officer.email, "password": "pw-officer-1234", "otp": otp}
        ).status_code
        == 302
    )
    secrets += ["wrong-guess-1", otp, officer.totp_secret]

    # a creditor registers, receives the link, follows it
    password = "a creditor's long passphrase 77"
    answer = Client().post(
        "/creances/compte/inscription/",
        {"full_name": "Nouvelle Créancière", "email": "new@matrix.test", "password": password},
    )
    assert answer.status_code == 200
    link = re.search(r"https?://\S+/verifier/(\S+?)/", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    assert Client().post(f"/creances/compte/verifier/{link.group(1)}/").status_code == 200
    secrets += [password, link.group(1), User.objects.get(email="new@matrix.test").totp_secret]

    # a recipient mistypes their code, then chooses a password through the API
    holder = world.api["recipient_a"]
    wrong = Client().post(
        "/api/v1/access/login",
        {"identifier": "MP-AAA-BBB-CCC", "code": "WRONG-CODE-123"},
        content_type="application/json",
    )
    assert wrong.status_code in (401, 400)
    chosen = "recipient chosen passphrase 31"
    assert (
        holder.post(
            "/api/v1/access/password", {"password": chosen}, content_type="application/json"
        ).status_code
        == 204
    )
    secrets += ["WRONG-CODE-123", chosen]

    assert every_log.texts, "nothing was captured: the capture itself is broken"
    logged = "\n".join(every_log.texts)
    journal = "\n".join(
        f"{e.actor_name} {e.action} {e.object_id} {e.details}" for e in JournalEntry.objects.all()
    )
    notices = "\n".join(n.canonical for n in Notice.objects.all())
    for secret in secrets:
        assert secret and len(secret) >= 6
        assert secret not in logged, f"a secret was logged: {secret[:4]}…"
        assert secret not in journal, f"a secret was journaled: {secret[:4]}…"
        assert secret not in notices, f"a secret is in a notice: {secret[:4]}…"
