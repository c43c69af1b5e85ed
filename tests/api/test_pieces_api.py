"""The officer API and the recipient API, through Django's full request stack."""

import base64
import hashlib
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from tests.helpers import make_pdf

from sceau.pieces.models import Document
from sceau.vault.services import get_vault

pytestmark = pytest.mark.django_db


def officer_client(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


def upload(client: Client, dossier_id: int, data: bytes, name="piece.pdf", **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    payload = {"file": SimpleUploadedFile(name, data, "application/octet-stream"), **extra}
    return client.post(f"/api/v1/dossiers/{dossier_id}/documents", payload)


def recipient_login(world, recipient) -> Client:
    issued = officer_client(world.token).post(f"/api/v1/recipients/{recipient.pk}/credentials")
    assert issued.status_code == 201, issued.content
    body = issued.json()
    answer = Client().post(
        "/api/v1/access/login",
        {"identifier": body["identifier"], "code": body["code"]},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    return Client(headers={"Authorization": f"Bearer {answer.json()['token']}"})


def test_dossier_creation_and_reading(world):
    api = officer_client(world.token)
    answer = api.post(
        "/api/v1/dossiers",
        {
            "reference": "IP-API-1",
            "creditor": "Créancier",
            "court": "TJ de Nantes",
            "recipients": [{"name": "Débiteur", "address": "1 rue\n44000 Nantes"}],
        },
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    dossier = answer.json()
    assert dossier["recipients"][0]["name"] == "Débiteur"
    assert api.get(f"/api/v1/dossiers/{dossier['id']}").json()["reference"] == "IP-API-1"
    again = api.post(
        "/api/v1/dossiers",
        {
            "reference": "IP-API-1",
            "creditor": "c",
            "court": "t",
            "recipients": [{"name": "n", "address": "a"}],
        },
        content_type="application/json",
    )
    assert again.status_code == 409 and "référence" in again.json()["message"]


def test_bad_input_gets_400_with_a_message(world):
    api = officer_client(world.token)
    answer = api.post("/api/v1/dossiers", {"reference": "x"}, content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_input" and "creditor" in answer.json()["message"]
    answer = api.post(
        "/api/v1/dossiers",
        {"reference": "x", "creditor": "c", "court": "t", "recipients": []},
        content_type="application/json",
    )
    assert answer.status_code == 400


def test_unauthenticated_and_outsiders_are_refused(world):
    assert Client().get(f"/api/v1/dossiers/{world.dossier.pk}").status_code == 401
    assert officer_client("sct_000000000000_nope").get("/api/v1/dossiers").status_code == 401
    outsider = officer_client(world.outsider_token)
    assert outsider.get(f"/api/v1/dossiers/{world.dossier.pk}").status_code == 404
    assert (
        outsider.post(f"/api/v1/recipients/{world.recipient_a.pk}/credentials").status_code == 404
    )
    answer = upload(outsider, world.dossier.pk, make_pdf("intrus"))
    assert answer.status_code == 404


def test_deposit_consult_round_trip_with_repr_digest(world):
    api = officer_client(world.token)
    data = make_pdf("aller-retour", pages=2)
    answer = upload(api, world.dossier.pk, data, "Facture n°12.pdf")
    assert answer.status_code == 201, answer.content
    doc = answer.json()
    assert doc["sha256"] == hashlib.sha256(data).hexdigest()
    assert doc["media_type"] == "application/pdf" and doc["size"] == len(data)
    assert doc["name"] == "Facture n°12.pdf" and doc["recipients"] == "all"
    assert isinstance(doc["journal_index"], int)
    recipient = recipient_login(world, world.recipient_a)
    listed = recipient.get("/api/v1/access/documents").json()
    assert [d["sha256"] for d in listed if d["id"] == doc["id"]] == [doc["sha256"]]
    content = recipient.get(f"/api/v1/access/documents/{doc['id']}/content")
    assert content.status_code == 200
    body = b"".join(content.streaming_content)
    assert body == data
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert content["Repr-Digest"] == f"sha-256=:{digest}:"
    assert content["Content-Type"] == "application/pdf"
    consultations = api.get(f"/api/v1/documents/{doc['id']}/consultations").json()
    seen = {c["recipient_id"]: c for c in consultations}
    assert seen[world.recipient_a.pk]["count"] == 1 and seen[world.recipient_b.pk]["first"] is None
    journal = api.get(f"/api/v1/dossiers/{world.dossier.pk}/journal").json()
    assert "pieces:document:consulted" in [e["action"] for e in journal]


def test_recipient_a_cannot_read_list_or_guess_b_documents(world):
    api = officer_client(world.token)
    for_b = upload(
        api, world.dossier.pk, make_pdf("pour B"), recipients=[str(world.recipient_b.pk)]
    ).json()
    other = upload(
        officer_client(world.outsider_token), world.other_dossier.pk, make_pdf("ailleurs")
    ).json()
    a = recipient_login(world, world.recipient_a)
    assert for_b["id"] not in [d["id"] for d in a.get("/api/v1/access/documents").json()]
    for doc_id in (for_b["id"], other["id"], for_b["id"] + 1000):
        answer = a.get(f"/api/v1/access/documents/{doc_id}/content")
        assert answer.status_code == 404
        assert answer.json()["error"] == "not_found"
    b = recipient_login(world, world.recipient_b)
    assert b.get(f"/api/v1/access/documents/{for_b['id']}/content").status_code == 200
    # a recipient token is no officer token, and the reverse
    assert a.get(f"/api/v1/dossiers/{world.dossier.pk}").status_code == 401
    assert api.get("/api/v1/access/documents").status_code == 401


def test_formats_are_checked_by_content(world):
    api = officer_client(world.token)
    answer = upload(api, world.dossier.pk, b"just some text, named like a pdf", "faux.pdf")
    assert answer.status_code == 415 and "PDF" in answer.json()["message"]
    truncated = make_pdf("tronqué")[:-200]
    answer = upload(api, world.dossier.pk, truncated, "tronque.pdf")
    assert answer.status_code == 415
    answer = upload(api, world.dossier.pk, b"", "vide.pdf")
    assert answer.status_code == 400 and answer.json()["error"] == "empty_document"
    assert not Document.objects.filter(dossier=world.dossier).exists()


def test_too_large_is_413_and_leaves_nothing(world, monkeypatch):
    vault = get_vault()
    before = set(vault.store.names())
    monkeypatch.setattr(vault, "max_bytes", 1000)
    answer = upload(officer_client(world.token), world.dossier.pk, make_pdf("gros", pages=5))
    assert answer.status_code == 413 and "Mo" in answer.json()["message"]
    assert set(vault.store.names()) == before


def test_refused_request_leaves_no_orphan_blob(world):
    vault = get_vault()
    before = set(vault.store.names())
    answer = upload(
        officer_client(world.token), world.dossier.pk, make_pdf("x"), recipients=["999999"]
    )
    assert answer.status_code == 400
    assert set(vault.store.names()) == before


def test_expired_document_answers_410(world):
    api = officer_client(world.token)
    doc = upload(api, world.dossier.pk, make_pdf("expire")).json()
    Document.objects.filter(pk=doc["id"]).update(expires_at=timezone.now() - timedelta(minutes=1))
    answer = recipient_login(world, world.recipient_a).get(
        f"/api/v1/access/documents/{doc['id']}/content"
    )
    assert answer.status_code == 410 and "disponible" in answer.json()["message"]


def test_signification_and_extension_endpoints(world):
    api = officer_client(world.token)
    doc = upload(api, world.dossier.pk, make_pdf("délais")).json()
    Document.objects.filter(pk=doc["id"]).update(expires_at=timezone.now() + timedelta(days=2))
    today = timezone.localdate().isoformat()
    answer = api.post(
        f"/api/v1/recipients/{world.recipient_a.pk}/signification",
        {"date": today},
        content_type="application/json",
    )
    assert answer.status_code == 200
    assert [d["id"] for d in answer.json()["documents_short"]] == [doc["id"]]
    too_early = (timezone.localdate() + timedelta(days=5)).isoformat()
    answer = api.post(
        f"/api/v1/documents/{doc['id']}/extension",
        {"until": too_early},
        content_type="application/json",
    )
    assert answer.status_code == 409 and "un mois" in answer.json()["message"]
    answer = api.post(f"/api/v1/recipients/{world.recipient_a.pk}/extend-short-documents")
    assert answer.status_code == 200 and answer.json()[0]["id"] == doc["id"]
    answer = api.post(
        f"/api/v1/documents/{doc['id']}/extension",
        {"until": "pas une date"},
        content_type="application/json",
    )
    assert answer.status_code == 400


def test_credentials_answer_carries_the_mention(world):
    answer = officer_client(world.token).post(
        f"/api/v1/recipients/{world.recipient_a.pk}/credentials"
    )
    body = answer.json()
    assert body["code"] in body["mention_text"] and body["identifier"] in body["mention_text"]
    assert base64.b64decode(body["mention_pdf_base64"]).startswith(b"%PDF")


def test_recipient_login_throttles_with_429(world, settings):
    issued = (
        officer_client(world.token)
        .post(f"/api/v1/recipients/{world.recipient_a.pk}/credentials")
        .json()
    )
    client = Client()
    from sceau.identity import codes

    statuses = []
    for _ in range(3):
        statuses.append(
            client.post(
                "/api/v1/access/login",
                {"identifier": issued["identifier"], "code": codes.generate_code()},
                content_type="application/json",
            ).status_code
        )
    assert statuses[:2] == [401, 401] and statuses[2] == 429


def test_openapi_document_is_published(world):
    spec = Client().get("/api/v1/openapi.json").json()
    for path in (
        "/api/v1/dossiers",
        "/api/v1/dossiers/{dossier_id}/documents",
        "/api/v1/access/login",
        "/api/v1/access/documents/{document_id}/content",
    ):
        assert path in spec["paths"]
