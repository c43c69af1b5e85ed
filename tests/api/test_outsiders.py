"""Every officer operation on another office's object answers 404, without auth 401."""

import pytest
from django.test import Client
from tests.helpers import deposit, make_pdf

pytestmark = pytest.mark.django_db


def operations(world, doc):
    d, r = world.dossier.pk, world.recipient_a.pk
    return [
        ("get", f"/api/v1/dossiers/{d}", None),
        ("post", f"/api/v1/dossiers/{d}/recipients", {"name": "x", "address": "y"}),
        ("post", f"/api/v1/recipients/{r}/credentials", None),
        ("post", f"/api/v1/recipients/{r}/signification", {"date": "2026-01-02"}),
        ("post", f"/api/v1/recipients/{r}/extend-short-documents", None),
        ("post", f"/api/v1/dossiers/{d}/documents", None),
        ("get", f"/api/v1/documents/{doc}", None),
        ("post", f"/api/v1/documents/{doc}/extension", {"until": "2030-01-01"}),
        ("get", f"/api/v1/documents/{doc}/consultations", None),
        ("get", f"/api/v1/dossiers/{d}/journal", None),
    ]


def test_outsider_officer_gets_404_everywhere(world):
    doc = deposit(world.officer, world.dossier, make_pdf("x")).pk
    outsider = Client(headers={"Authorization": f"Bearer {world.outsider_token}"})
    for method, url, body in operations(world, doc):
        kwargs = {"content_type": "application/json", "data": body} if body else {}
        answer = getattr(outsider, method)(url, **kwargs)
        assert answer.status_code == 404, (method, url, answer.status_code)
        assert answer.json()["error"] == "not_found"


def test_anonymous_gets_401_everywhere(world):
    doc = deposit(world.officer, world.dossier, make_pdf("x")).pk
    for method, url, body in operations(world, doc):
        kwargs = {"content_type": "application/json", "data": body} if body else {}
        answer = getattr(Client(), method)(url, **kwargs)
        assert answer.status_code == 401, (method, url)
    for url in (
        "/api/v1/access/documents",
        "/api/v1/access/dossier",
        f"/api/v1/access/documents/{doc}/content",
    ):
        assert Client().get(url).status_code == 401
