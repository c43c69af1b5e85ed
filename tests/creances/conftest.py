from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client
from tests.conftest import TODAY

from sceau.creances import machine, services
from sceau.identity import services as identity
from sceau.identity.models import User
from sceau.notary.pki import ensure_test_pki
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
    """Every Petites créances test runs on TODAY (tests/conftest.py)."""
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


def claim_input(**over) -> machine.ClaimInput:
    data = dict(
        creditor_name="Société Créancière",
        creditor_address="5 rue X\n69001 Lyon",
        debtor_name="Paul Débiteur",
        debtor_address="8 rue Y\n69003 Lyon",
        debtor_postal_code="69003",
        basis="contractual",
        description="Facture impayée n° 42 du 1er mars",
        principal="1200.00",
        interest="35.50",
        debtor_email="paul@test.fr",
    )
    data.update(over)
    return machine.ClaimInput(**data)


def signing_secret() -> str:
    return ensure_test_pki(settings.CONFIG.data_dir / "pki").officer_p12_passphrase.decode()


@pytest.fixture
def invited(cast):
    claim = machine.file_claim(cast.creditor, cast.officer.office, claim_input(), cast.creditor)
    machine.decide_mandate(cast.officer, claim, True, "")
    sent = services.invite(cast.officer, claim, TODAY, "post")
    return sent
