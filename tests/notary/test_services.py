"""Officers' PAdES signatures, validation reports, tree-head timestamps (Django side)."""

from __future__ import annotations

import subprocess

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.helpers import make_pdf

from sceau.journal import transparency
from sceau.journal.canonical import canonical_json
from sceau.journal.models import JournalEntry
from sceau.notary import services as notary
from sceau.notary.errors import SignatureError
from sceau.notary.models import TreeHeadStamp
from sceau.notary.pki import ensure_test_pki
from sceau.notary.timestamps import verify_token

pytestmark = pytest.mark.django_db


def passphrase() -> str:
    return ensure_test_pki(settings.CONFIG.data_dir / "pki").officer_p12_passphrase.decode()


def test_officer_signs_with_the_test_certificate_and_the_report_says_so(world):
    with pytest.raises(SignatureError, match="Aucun certificat"):
        notary.sign_document(world.officer, make_pdf("t"), "x", reason="r", location="l")
    notary.use_test_certificate(world.officer)
    with pytest.raises(SignatureError):
        notary.sign_document(world.officer, make_pdf("t"), "wrong", reason="r", location="l")
    signed = notary.sign_document(
        world.officer, make_pdf("titre"), passphrase(), reason="Titre exécutoire", location="Paris"
    )
    [report] = notary.signature_report(signed)
    assert report.ok and report.level in ("B-T", "B-LT") and not report.qualified
    assert "TEST" in report.signer_name
    assert JournalEntry.objects.filter(action="notary:pdf:signed").exists()
    tampered = bytearray(signed)
    tampered[12] ^= 0x01  # in the header comment: inside the signed byte range
    reports = notary.signature_report(bytes(tampered))
    assert not all(r.ok for r in reports)


def test_validation_page_and_api_report_without_keeping_the_file(world):
    from sceau.vault.services import get_vault

    notary.use_test_certificate(world.officer)
    signed = notary.sign_document(
        world.officer, make_pdf("api"), passphrase(), reason="r", location="l"
    )
    before = set(get_vault().store.names())
    api = Client(headers={"Authorization": f"Bearer {world.token}"})
    answer = api.post("/api/v1/notary/validate", {"file": SimpleUploadedFile("s.pdf", signed)})
    assert answer.status_code == 200, answer.content
    [report] = answer.json()
    assert report["ok"] and report["trusted"] and report["timestamp_valid"]
    unsigned = api.post(
        "/api/v1/notary/validate", {"file": SimpleUploadedFile("u.pdf", make_pdf("sans"))}
    )
    assert unsigned.status_code == 400 and "signature" in unsigned.json()["message"].lower()
    assert set(get_vault().store.names()) == before  # nothing kept
    assert Client().post("/api/v1/notary/validate").status_code == 401


def test_tree_heads_are_timestamped(world, tmp_path):
    head = transparency.make_tree_head()
    stamp = notary.stamp_tree_head(min_seconds=0)
    assert stamp is not None and stamp.tree_size == head.tree_size
    assert notary.stamp_tree_head(min_seconds=0) is None  # same head: nothing new
    roots = [ensure_test_pki(settings.CONFIG.data_dir / "pki").root_cert]
    data = canonical_json(head.as_json()).encode()
    verify_token(bytes(stamp.token), data, roots)
    (tmp_path / "head.json").write_bytes(data)
    (tmp_path / "head.tsr").write_bytes(bytes(stamp.token))
    (tmp_path / "chain.pem").write_text(notary.get_timestamper().certificates_pem())
    done = subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-data",
            str(tmp_path / "head.json"),
            "-in",
            str(tmp_path / "head.tsr"),
            "-token_in",
            "-CAfile",
            str(tmp_path / "chain.pem"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Verification: OK" in done.stdout
    assert TreeHeadStamp.objects.count() == 1
