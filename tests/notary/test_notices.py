"""Timestamped notices and evidence bundles, against the real built-in authority and openssl."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile

import pytest
from cryptography import x509
from django.test import Client
from tests.helpers import deposit, make_pdf

from sceau.identity.services import sign_in_holder
from sceau.journal.verifier.cli import main as sceau_verify
from sceau.notary import services as notary
from sceau.notary.models import Notice
from sceau.notary.timestamps import HttpTimeStamper
from sceau.pieces import services as pieces

pytestmark = pytest.mark.django_db


def openssl_verify(tmp_path, data: bytes, token: bytes) -> subprocess.CompletedProcess:
    (tmp_path / "data").write_bytes(data)
    (tmp_path / "token.tsr").write_bytes(token)
    (tmp_path / "chain.pem").write_text(notary.get_timestamper().certificates_pem())
    return subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-data",
            str(tmp_path / "data"),
            "-in",
            str(tmp_path / "token.tsr"),
            "-token_in",
            "-CAfile",
            str(tmp_path / "chain.pem"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def stamped(django_capture_on_commit_callbacks):
    """Run the after-commit stamping the way a real request would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_deposit_gives_each_recipient_a_provision_notice(world, stamped):
    with stamped():
        doc = deposit(world.officer, world.dossier, make_pdf("avis"))
    notices = Notice.objects.filter(document_id=doc.pk, kind="provision")
    assert sorted(n.recipient_id for n in notices) == sorted(
        [world.recipient_a.pk, world.recipient_b.pk]
    )
    for n in notices:
        body = json.loads(n.canonical)
        assert body["document"]["sha256"] == doc.sha256
        assert body["event"]["time_utc"].endswith("Z")
        assert body["event"]["time_paris"][-6:] in ("+01:00", "+02:00")
        assert not n.pending and bytes(n.pdf).startswith(b"%PDF")
        assert n.qualified is False and "non qualifi" in n.authority.lower()


def test_notice_token_verifies_with_openssl_and_a_changed_pdf_fails(world, stamped, tmp_path):
    with stamped():
        deposit(world.officer, world.dossier, make_pdf("openssl"))
    notice = Notice.objects.filter(kind="provision").first()
    done = openssl_verify(tmp_path, bytes(notice.pdf), bytes(notice.token))
    assert "Verification: OK" in done.stdout, done.stdout + done.stderr
    changed = bytearray(notice.pdf)
    changed[len(changed) // 2] ^= 0x01
    done = openssl_verify(tmp_path, bytes(changed), bytes(notice.token))
    assert done.returncode != 0 and "Verification: OK" not in done.stdout


def test_consultation_and_first_access_are_noticed(world, stamped):
    doc = deposit(world.officer, world.dossier, make_pdf("consult"))
    issued = pieces.issue_credentials(world.officer, world.recipient_a)
    with stamped():
        recipient = sign_in_holder(issued.identifier, issued.code, "1.2.3.4").holder
        sign_in_holder(issued.identifier, issued.code, "1.2.3.4")  # a second sign-in
        b"".join(pieces.consult(recipient, doc.pk, "view").chunks)
        b"".join(pieces.consult(recipient, doc.pk, "download").chunks)
    kinds = list(Notice.objects.filter(recipient_id=recipient.pk).values_list("kind", flat=True))
    assert kinds.count("first_access") == 1  # the second login is no first access
    consults = Notice.objects.filter(recipient_id=recipient.pk, kind="consultation")
    details = [json.loads(n.canonical)["event"]["detail"] for n in consults]
    assert details == ["première consultation", "consultation n° 2"]


def test_unreachable_authority_keeps_the_notice_and_retries(world, monkeypatch, stamped):
    real = notary.get_timestamper()
    roots = x509.load_pem_x509_certificates(real.certificates_pem().encode())
    down = HttpTimeStamper("http://127.0.0.1:9/tsp", roots, timeout=1)
    monkeypatch.setattr(notary, "get_timestamper", lambda: down)
    with stamped():
        doc = deposit(world.officer, world.dossier, make_pdf("retry"))
    pending = Notice.objects.filter(document_id=doc.pk)
    assert pending.count() == 2 and all(n.pending and n.attempts == 1 for n in pending)
    assert "tsa_unavailable" in pending.first().last_error
    assert doc.pk  # the deposit itself is not lost
    monkeypatch.setattr(notary, "get_timestamper", lambda: real)
    done, still = notary.stamp_pending()
    assert (done, still) == (2, 0)


def test_notice_api_visibility(world, stamped):
    with stamped():
        doc = deposit(
            world.officer, world.dossier, make_pdf("api"), recipient_ids=[world.recipient_b.pk]
        )
    officer = Client(headers={"Authorization": f"Bearer {world.token}"})
    listed = officer.get(f"/api/v1/dossiers/{world.dossier.pk}/notices").json()
    notice_id = next(n["id"] for n in listed if n["document_id"] == doc.pk)
    assert officer.get(f"/api/v1/notices/{notice_id}/token").status_code == 200
    pdf = officer.get(f"/api/v1/notices/{notice_id}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    outsider = Client(headers={"Authorization": f"Bearer {world.outsider_token}"})
    assert outsider.get(f"/api/v1/notices/{notice_id}").status_code == 404
    assert outsider.get(f"/api/v1/dossiers/{world.dossier.pk}/notices").status_code == 404

    def holder(recipient):
        issued = pieces.issue_credentials(world.officer, recipient)
        token = (
            Client()
            .post(
                "/api/v1/access/login",
                {"identifier": issued.identifier, "code": issued.code},
                content_type="application/json",
            )
            .json()
        )
        return Client(headers={"Authorization": f"Bearer {token['token']}"})

    b, a = holder(world.recipient_b), holder(world.recipient_a)
    assert notice_id in [n["id"] for n in b.get("/api/v1/access/notices").json()]
    assert b.get(f"/api/v1/notices/{notice_id}").json()["document_id"] == doc.pk
    assert a.get(f"/api/v1/notices/{notice_id}").status_code == 404
    assert notice_id not in [n["id"] for n in a.get("/api/v1/access/notices").json()]
    chain = Client().get("/api/v1/notary/tsa-certificates")
    assert b"BEGIN CERTIFICATE" in chain.content


def _bundle(world, stamped) -> bytes:
    with stamped():
        doc = deposit(world.officer, world.dossier, make_pdf("preuve"))
        issued = pieces.issue_credentials(world.officer, world.recipient_a)
        recipient = sign_in_holder(issued.identifier, issued.code, "1.2.3.4").holder
        b"".join(pieces.consult(recipient, doc.pk, "view").chunks)
    officer = Client(headers={"Authorization": f"Bearer {world.token}"})
    answer = officer.get(f"/api/v1/dossiers/{world.dossier.pk}/evidence")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/zip"
    assert (
        Client(headers={"Authorization": f"Bearer {world.outsider_token}"})
        .get(f"/api/v1/dossiers/{world.dossier.pk}/evidence")
        .status_code
        == 404
    )
    return answer.content


def _rewrite(bundle: bytes, name: str, change) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(bundle)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info.filename, change(data) if info.filename == name else data)
    return out.getvalue()


def test_evidence_bundle_verifies_offline_and_any_altered_file_fails(world, stamped, tmp_path):
    bundle = _bundle(world, stamped)
    path = tmp_path / "preuves.zip"
    path.write_bytes(bundle)
    assert sceau_verify(["--bundle", str(path)]) == 0
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        names = zf.namelist()
    assert "LISEZMOI.txt" in names and any(n.endswith(".tsr") for n in names)

    def flip(data: bytes) -> bytes:
        changed = bytearray(data)
        changed[len(changed) // 2] ^= 0x01
        return bytes(changed)

    for name in names:
        altered = tmp_path / "altered.zip"
        altered.write_bytes(_rewrite(bundle, name, flip))
        assert sceau_verify(["--bundle", str(altered)]) != 0, f"{name} altered went unnoticed"
