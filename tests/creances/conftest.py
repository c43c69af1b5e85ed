from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from tests.helpers import TODAY, claim_input, signing_secret  # noqa: F401 (the fixtures use them)

from sceau.creances import machine, services
from sceau.identity import services as identity
from sceau.identity.models import User
from sceau.notary.services import use_test_certificate


@dataclass
class Cast:
    officer: User
    outsider: User
    creditor: User
    officer_token: str
    outsider_token: str
    creditor_token: str

    def api(self, token: str | None) -> Client:
        return Client(headers={"Authorization": f"Bearer {token}"} if token else {})


@pytest.fixture(autouse=True)
def _procedure_clock(frozen_today):
    """Every Petites créances test runs on TODAY (tests/helpers.py)."""
    return frozen_today


@pytest.fixture
def cast(db) -> Cast:
    office = identity.create_office("Étude Lyonnaise", "1 quai\n69002 Lyon")
    office.departments = "69,01,42"
    office.save()
    other = identity.create_office("Étude Parisienne", "2 rue\n75001 Paris")
    other.departments = "75"
    other.save()
    officer = identity.create_officer(office, "pc@etude.test", "Maître Pécé", "pw-officer-123456")
    use_test_certificate(officer)
    outsider = identity.create_officer(other, "pc2@etude.test", "Maître Autre", "pw-officer-123456")
    creditor, token = identity.register_creditor(
        "creancier@test.fr", "Société Créancière", "pw-creditor-123456"
    )
    identity.verify_email(token)
    creditor.refresh_from_db()
    return Cast(
        officer,
        outsider,
        creditor,
        identity.issue_api_token(officer, "t"),
        identity.issue_api_token(outsider, "t"),
        identity.issue_api_token(creditor, "t"),
    )


@pytest.fixture
def invited(cast):
    claim = machine.file_claim(cast.creditor, cast.officer.office, claim_input(), cast.creditor)
    machine.decide_mandate(cast.officer, claim, True, "")
    sent = services.invite(cast.officer, claim, TODAY, "post")
    return sent
