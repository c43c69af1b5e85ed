"""The procedure end to end through the API, three roles, and the signed executory title."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from tests.helpers import TODAY, signing_secret

from sceau.notary import services as notary
from sceau.notary.pki import ensure_test_pki

pytestmark = pytest.mark.django_db

CLAIM = {
    "debtor": {
        "name": "Paul Débiteur",
        "address": "8 rue Y\n69003 Lyon",
        "postal_code": "69003",
        "email": "paul@test.fr",
    },
    "basis": "contractual",
    "description": "Facture impayée n° 42",
    "principal": "1200.00",
    "interest": "35.50",
    "creditor": {"name": "(from the account)", "address": "5 rue X\n69001 Lyon"},
}


def debtor_client(identifier: str, code: str) -> Client:
    answer = Client().post(
        "/api/v1/access/login",
        {"identifier": identifier, "code": code},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    return Client(headers={"Authorization": f"Bearer {answer.json()['token']}"})


def test_agreement_path_to_a_signed_title(cast, tmp_path):
    creditor, officer = cast.api(cast.creditor_token), cast.api(cast.officer_token)
    filed = creditor.post(
        "/api/v1/claims",
        {**CLAIM, "office_id": cast.officer.office_id},
        content_type="application/json",
    )
    assert filed.status_code == 201, filed.content
    claim = filed.json()
    assert claim["state"] == "requested" and claim["fees"] and claim["total"] == "1235.50"
    cid = claim["id"]
    assert (
        officer.post(
            f"/api/v1/claims/{cid}/mandate", {"accept": True}, content_type="application/json"
        ).json()["state"]
        == "mandated"
    )
    today = TODAY.isoformat()
    sent = officer.post(
        f"/api/v1/claims/{cid}/invitation",
        {"sent_on": today, "channel": "post"},
        content_type="application/json",
    )
    assert sent.status_code == 200, sent.content
    invitation = sent.json()
    debtor = debtor_client(invitation["identifier"], invitation["code"])
    mine = debtor.get("/api/v1/access/claims").json()
    assert [c["id"] for c in mine] == [cid] and mine[0]["fees"] is None  # free for the debtor
    accepted = debtor.post(
        f"/api/v1/access/claims/{cid}/answer",
        {"decision": "accept"},
        content_type="application/json",
    )
    assert accepted.json()["state"] == "accepted"
    again = debtor.post(
        f"/api/v1/access/claims/{cid}/answer",
        {"decision": "accept"},
        content_type="application/json",
    )
    assert again.status_code == 409 and again.json()["error"] == "invalid_transition"
    due1 = (TODAY + timedelta(days=20)).isoformat()
    due2 = (TODAY + timedelta(days=50)).isoformat()
    bad = officer.post(
        f"/api/v1/claims/{cid}/proposal",
        {
            "amount": "1200.00",
            "instalments": [{"due": due1, "amount": "600.00"}, {"due": due2, "amount": "500.00"}],
        },
        content_type="application/json",
    )
    assert bad.status_code == 409 and "totalisent" in bad.json()["message"]
    made = officer.post(
        f"/api/v1/claims/{cid}/proposal",
        {
            "amount": "1200.00",
            "instalments": [{"due": due1, "amount": "600.00"}, {"due": due2, "amount": "600.00"}],
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert (
        creditor.post(
            f"/api/v1/claims/{cid}/proposal/answer",
            {"accept": True},
            content_type="application/json",
        ).json()["state"]
        == "accepted"
    )
    agreed = debtor.post(
        f"/api/v1/access/claims/{cid}/proposal/answer",
        {"accept": True},
        content_type="application/json",
    )
    assert agreed.json()["state"] == "agreed"
    early = creditor.get(f"/api/v1/claims/{cid}/title")
    assert early.status_code == 409
    closed = officer.post(
        f"/api/v1/claims/{cid}/outcome",
        {"outcome": "agreement", "signing_secret": signing_secret()},
        content_type="application/json",
    )
    assert closed.status_code == 200, closed.content
    assert closed.json()["state"] == "closed"
    title = debtor.get(f"/api/v1/access/claims/{cid}/title")
    assert title.status_code == 200 and title.content.startswith(b"%PDF")
    assert creditor.get(f"/api/v1/claims/{cid}/title").content == title.content
    [report] = notary.signature_report(title.content)
    assert report.ok and report.level in ("B-T", "B-LT")
    # poppler's pdfsig, trusting the TEST root in a throwaway NSS database
    for tool in ("pdfsig", "certutil"):
        assert shutil.which(tool), f"{tool} missing: `make test` installs poppler-utils and nss"
    nss = tmp_path / "nss"
    nss.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
    root = ensure_test_pki(settings.CONFIG.data_dir / "pki").root_cert_path
    subprocess.run(
        [
            "certutil",
            "-A",
            "-d",
            f"sql:{nss}",
            "-n",
            "sceau-test-root",
            "-t",
            "CT,C,C",
            "-i",
            str(root),
        ],
        check=True,
    )
    (tmp_path / "titre.pdf").write_bytes(title.content)
    done = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{nss}", str(tmp_path / "titre.pdf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Signature is Valid" in done.stdout, done.stdout + done.stderr
    assert "Certificate is Trusted" in done.stdout


def test_outsiders_and_other_debtors_are_refused(cast, invited):
    cid = invited.claim.pk
    assert cast.api(cast.outsider_token).get(f"/api/v1/claims/{cid}").status_code == 404
    assert cast.api(None).get(f"/api/v1/claims/{cid}").status_code == 401
    from sceau.identity import services as identity

    other_creditor, token = identity.register_creditor("autre@test.fr", "Autre", "pw-autre-123456")
    identity.verify_email(token)
    other = cast.api(identity.issue_api_token(other_creditor, "t"))
    assert other.get(f"/api/v1/claims/{cid}").status_code == 404
    debtor = debtor_client(invited.identifier, invited.code)
    assert debtor.get(f"/api/v1/access/claims/{cid + 1}/title").status_code == 404
    # a creditor cannot act as the officer
    answer = cast.api(cast.creditor_token).post(
        f"/api/v1/claims/{cid}/proposal",
        {"amount": "1", "instalments": []},
        content_type="application/json",
    )
    assert answer.status_code == 403


def test_unverified_creditor_cannot_use_the_api(cast):
    from sceau.identity import services as identity

    user, _ = identity.register_creditor("neuf@test.fr", "Neuf", "pw-neuf-1234567")
    token = identity.issue_api_token(user, "t")
    assert cast.api(token).get("/api/v1/claims").status_code == 401


def test_ineligible_claim_answers_400_with_the_reason(cast):
    answer = cast.api(cast.creditor_token).post(
        "/api/v1/claims",
        {**CLAIM, "principal": "6000.00", "office_id": cast.officer.office_id},
        content_type="application/json",
    )
    assert answer.status_code == 400 and "plafond" in answer.json()["message"]


def test_parties_send_files_through_the_vault(cast, invited):
    import hashlib

    from django.core.files.uploadedfile import SimpleUploadedFile
    from tests.helpers import make_pdf

    from sceau.creances.models import Message

    cid = invited.claim.pk
    data = make_pdf("justificatif")
    debtor = debtor_client(invited.identifier, invited.code)
    answer = debtor.post(
        f"/api/v1/access/claims/{cid}/attachments",
        {"file": SimpleUploadedFile("preuve.pdf", data), "text": "Mon reçu"},
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["sha256"] == hashlib.sha256(data).hexdigest()
    message = Message.objects.get(pk=answer.json()["id"])
    assert (
        message.blob.sha256 == hashlib.sha256(data).hexdigest() and message.author_kind == "debtor"
    )
    creditor = cast.api(cast.creditor_token)
    answer = creditor.post(
        f"/api/v1/claims/{cid}/attachments",
        {"file": SimpleUploadedFile("x.txt", b"not a pdf"), "text": "t"},
    )
    assert answer.status_code == 415
    anonymous = Client().post(
        f"/api/v1/access/claims/{cid}/attachments",
        {"file": SimpleUploadedFile("p.pdf", data), "text": "t"},
    )
    assert anonymous.status_code == 401


def test_wrong_passphrase_is_a_clear_400_and_nothing_changes(cast, invited):
    from sceau.creances.models import Claim

    claim = invited.claim
    debtor = debtor_client(invited.identifier, invited.code)
    debtor.post(
        f"/api/v1/access/claims/{claim.pk}/answer",
        {"decision": "refuse"},
        content_type="application/json",
    )
    answer = cast.api(cast.officer_token).post(
        f"/api/v1/claims/{claim.pk}/outcome",
        {"outcome": "refused_participation", "signing_secret": "wrong"},
        content_type="application/json",
    )
    assert answer.status_code == 400 and answer.json()["message"], answer.content
    assert Claim.objects.get(pk=claim.pk).state == "refused"
    reissued = cast.api(cast.officer_token).post(f"/api/v1/claims/{claim.pk}/credentials")
    assert reissued.status_code == 201
    assert (
        Client()
        .post(
            "/api/v1/access/login",
            {"identifier": invited.identifier, "code": invited.code},
            content_type="application/json",
        )
        .status_code
        == 401
    )


def test_an_api_creditor_s_first_access_is_their_consent(cast):
    """Found (issue #10): the consent gate lived in the pages only, so a creditor working
    through the API never consented; the first access is now recorded by the service."""
    from sceau.creances.models import Consent
    from sceau.journal.models import JournalEntry

    creditor = cast.api(cast.creditor_token)
    body = {**CLAIM, "office_id": cast.officer.office_id}
    filed = creditor.post("/api/v1/claims", body, content_type="application/json")
    assert filed.status_code == 201, filed.content
    claim_id = filed.json()["id"]
    assert not Consent.objects.filter(claim_id=claim_id, party="creditor").exists()
    assert creditor.get(f"/api/v1/claims/{claim_id}").status_code == 200
    consent = Consent.objects.get(claim_id=claim_id, party="creditor")
    entry = JournalEntry.objects.get(index=consent.journal_index)
    assert entry.action == "creances:party:first_access"
    # The creditor acts as their account (its pk), never as the claim.
    assert (entry.actor_kind, entry.actor_id) == ("creditor", str(cast.creditor.pk))
    assert (entry.case_kind, entry.case_id) == ("claim", claim_id)
    creditor.get(f"/api/v1/claims/{claim_id}")
    assert Consent.objects.filter(claim_id=claim_id, party="creditor").count() == 1
