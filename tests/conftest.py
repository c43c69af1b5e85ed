"""Personas and builders shared by the whole suite.

Personas follow the house style: an officer of office 1, an officer of office 2 (an outsider
who must be refused), and the recipients of a dossier of office 1.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from tests.helpers import PASSWORD, TODAY, chunks, deposit, make_pdf, otp_for  # noqa: F401

from sceau.identity import services as identity
from sceau.identity.models import User
from sceau.pieces import services as pieces


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@dataclass
class World:
    officer: User
    outsider: User
    token: str
    outsider_token: str
    dossier: pieces.Dossier
    other_dossier: pieces.Dossier

    @property
    def recipient_a(self):
        return self.dossier.recipients.order_by("pk")[0]

    @property
    def recipient_b(self):
        return self.dossier.recipients.order_by("pk")[1]


@pytest.fixture
def world(db) -> World:
    office = identity.create_office("Étude Une", "1 rue A\n75001 Paris")
    other = identity.create_office("Étude Deux", "2 rue B\n69001 Lyon")
    officer = identity.create_officer(office, "one@etude.test", "Maître Une", PASSWORD)
    outsider = identity.create_officer(other, "two@etude.test", "Maître Deux", PASSWORD)
    dossier = pieces.create_dossier(
        officer,
        "IP-1",
        "Créancier SA",
        "Tribunal judiciaire de Paris",
        [
            pieces.RecipientInput("Alice Débitrice", "3 rue C\n75002 Paris"),
            pieces.RecipientInput("Bruno Débiteur", "4 rue D\n75003 Paris"),
        ],
    )
    other_dossier = pieces.create_dossier(
        outsider,
        "IP-2",
        "Autre SA",
        "Tribunal judiciaire de Lyon",
        [pieces.RecipientInput("Chloé Tierce", "5 rue E\n69002 Lyon")],
    )
    return World(
        officer=officer,
        outsider=outsider,
        token=identity.issue_api_token(officer, "tests"),
        outsider_token=identity.issue_api_token(outsider, "tests"),
        dossier=dossier,
        other_dossier=other_dossier,
    )


@pytest.fixture(scope="module")
def scratch_database():
    """Environment for a separate `sceau` process: its own SQLite file (the default), or a
    throwaway PostgreSQL database when the suite runs on PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield {}
        return
    import psycopg

    name = f"sceau_scratch_{uuid.uuid4().hex[:10]}"
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield {"DATABASE_URL": url.rsplit("/", 1)[0] + "/" + name}
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def standard_fonts():
    """Force the PDF fallback to the standard fonts (as if DejaVu were not installed)."""
    from sceau.core import pdf as pdfkit

    saved = pdfkit.FONT_DIRS
    pdfkit.FONT_DIRS = ()
    pdfkit.fonts.cache_clear()
    try:
        yield
    finally:
        pdfkit.FONT_DIRS = saved
        pdfkit.fonts.cache_clear()


@pytest.fixture
def frozen_today():
    """Freeze Sceau's clock (``sceau.core.clock``) at 10:00 Paris time on ``TODAY``."""
    from sceau.core import clock

    with clock.frozen(datetime(TODAY.year, TODAY.month, TODAY.day, 9, 0, tzinfo=UTC)):
        yield TODAY
