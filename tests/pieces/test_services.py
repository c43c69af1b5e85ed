import hashlib
from datetime import date, timedelta

import pytest
from django.utils import timezone
from tests.helpers import deposit, make_pdf

from sceau.core.dates import add_months_dt, end_of_paris_day, paris_date
from sceau.core.errors import NotFound
from sceau.journal.models import JournalEntry
from sceau.pieces import services
from sceau.pieces.errors import DocumentUnavailable, ExpiryTooEarly, NotExtendable, ReferenceTaken
from sceau.pieces.models import Document
from sceau.vault.errors import IntegrityError
from sceau.vault.models import Blob
from sceau.vault.services import get_vault

pytestmark = pytest.mark.django_db


def _blob_path(name: str):
    from django.conf import settings

    root = settings.DATA_DIR / "blobs"
    return next(p for p in root.rglob(name) if ".tmp" not in p.parts)


def test_deposit_then_consult_gives_the_same_bytes_and_fingerprint(world):
    data = make_pdf("facture", pages=3)
    doc = deposit(world.officer, world.dossier, data, "facture.pdf")
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert doc.expires_at == add_months_dt(doc.deposited_at, 18)
    opened = services.consult(world.recipient_a, doc.pk, "download")
    assert b"".join(opened.chunks) == data
    entry = JournalEntry.objects.get(index=opened.journal_index)
    assert entry.action == "pieces:document:consulted" and entry.actor_kind == "recipient"
    assert entry.details["sha256"] == doc.sha256


def test_stored_blob_is_encrypted(world):
    data = make_pdf("contenu secret reconnaissable")
    doc = deposit(world.officer, world.dossier, data)
    stored = _blob_path(doc.blob.name).read_bytes()
    assert data not in stored and b"contenu secret" not in stored


def test_a_flipped_byte_is_refused_and_journaled(world):
    data = make_pdf("intègre")
    doc = deposit(world.officer, world.dossier, data)
    path = _blob_path(doc.blob.name)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(IntegrityError):
        services.consult(world.recipient_a, doc.pk, "view")
    failure = JournalEntry.objects.filter(action="pieces:document:integrity_failed").get()
    assert failure.object_id == str(doc.pk) and failure.actor_kind == "recipient"
    assert not JournalEntry.objects.filter(action="pieces:document:consulted").exists()


def test_a_changed_fingerprint_in_the_database_is_refused(world):
    doc = deposit(world.officer, world.dossier, make_pdf("x"))
    Blob.objects.filter(pk=doc.blob_id).update(sha256="0" * 64)
    with pytest.raises(IntegrityError):
        services.consult(world.recipient_a, doc.pk, "view")


def test_recipients_see_only_their_documents(world):
    for_all = deposit(world.officer, world.dossier, make_pdf("tous"))
    for_b = deposit(
        world.officer, world.dossier, make_pdf("b"), recipient_ids=[world.recipient_b.pk]
    )
    other = deposit(world.outsider, world.other_dossier, make_pdf("autre"))
    seen_a = set(services.visible_documents(world.recipient_a).values_list("pk", flat=True))
    seen_b = set(services.visible_documents(world.recipient_b).values_list("pk", flat=True))
    assert seen_a == {for_all.pk}
    assert seen_b == {for_all.pk, for_b.pk}
    for doc in (for_b, other):
        with pytest.raises(NotFound):
            services.consult(world.recipient_a, doc.pk, "view")


def test_an_expired_document_is_gone(world):
    doc = deposit(world.officer, world.dossier, make_pdf("vieux"))
    Document.objects.filter(pk=doc.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(DocumentUnavailable) as caught:
        services.consult(world.recipient_a, doc.pk, "view")
    assert caught.value.status == 410


def test_purge_leaves_no_blob_and_no_data_key_but_a_tombstone(
    world, django_capture_on_commit_callbacks
):
    doc = deposit(world.officer, world.dossier, make_pdf("à détruire"))
    keep = deposit(world.officer, world.dossier, make_pdf("à garder"))
    name = doc.blob.name
    assert get_vault().store.exists(name)
    Document.objects.filter(pk=doc.pk).update(expires_at=timezone.now() - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):  # the ciphertext goes at commit
        report = services.purge_expired()
    assert report.purged == [doc.pk]
    doc.refresh_from_db()
    blob = Blob.objects.get(pk=doc.blob_id)
    assert doc.purged_at is not None and blob.wrapped_key is None and blob.destroyed_at
    assert doc.sha256 and doc.deposited_by_id == world.officer.pk  # tombstone
    assert not get_vault().store.exists(name)
    assert get_vault().store.exists(keep.blob.name)
    entry = JournalEntry.objects.get(action="pieces:document:purged")
    assert entry.details["sha256"] == doc.sha256
    assert services.purge_expired().purged == []  # idempotent
    with pytest.raises(DocumentUnavailable):
        services.consult(world.recipient_a, doc.pk, "view")


def test_purge_as_of_only_rehearses(world):
    doc = deposit(world.officer, world.dossier, make_pdf("futur"))
    report = services.purge_expired(end_of_paris_day(paris_date(doc.expires_at)))
    assert report.rehearsal and report.due == [doc.pk] and report.purged == []
    doc.refresh_from_db()
    assert doc.purged_at is None and get_vault().store.exists(doc.blob.name)


def test_signification_shows_short_documents_and_extends_them_in_one_action(world):
    doc = deposit(world.officer, world.dossier, make_pdf("court"))
    soon = timezone.now() + timedelta(days=3)
    Document.objects.filter(pk=doc.pk).update(expires_at=soon)
    served = paris_date(timezone.now())
    short = services.record_signification(world.officer, world.recipient_a, served)
    assert [d.pk for d in short] == [doc.pk]
    recipient = world.recipient_a
    extended = services.extend_short_documents(world.officer, recipient)
    assert [d.pk for d in extended] == [doc.pk]
    doc.refresh_from_db()
    assert doc.expires_at == services.required_expiry(recipient)
    assert services.documents_short_for(recipient) == []


def test_extension_rules(world):
    doc = deposit(world.officer, world.dossier, make_pdf("prolonger"))
    current = paris_date(doc.expires_at)
    with pytest.raises(NotExtendable):  # not later than now
        services.extend_document(world.officer, doc, current - timedelta(days=1))
    Document.objects.filter(pk=doc.pk).update(expires_at=timezone.now() + timedelta(days=2))
    services.record_signification(world.officer, world.recipient_a, paris_date(timezone.now()))
    with pytest.raises(ExpiryTooEarly):  # later than now, but not one month after service
        services.extend_document(world.officer, doc, paris_date(timezone.now()) + timedelta(days=5))
    target = paris_date(timezone.now()) + timedelta(days=60)
    services.extend_document(world.officer, doc, target)
    doc.refresh_from_db()
    assert doc.expires_at == end_of_paris_day(target)
    assert JournalEntry.objects.filter(action="pieces:document:extended").count() == 1
    Document.objects.filter(pk=doc.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(NotExtendable):  # never after expiry
        services.extend_document(world.officer, doc, target + timedelta(days=30))


def test_signification_in_the_future_is_refused(world):
    from sceau.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        services.record_signification(
            world.officer, world.recipient_a, date.today() + timedelta(days=2)
        )


def test_references_are_unique_per_office(world):
    with pytest.raises(ReferenceTaken):
        services.create_dossier(
            world.officer, "IP-1", "X", "Y", [services.RecipientInput("n", "a")]
        )
    services.create_dossier(world.outsider, "IP-1", "X", "Y", [services.RecipientInput("n", "a")])


def test_officers_reach_only_their_office(world):
    doc = deposit(world.officer, world.dossier, make_pdf("privé"))
    with pytest.raises(NotFound):
        services.get_dossier(world.outsider, world.dossier.pk)
    with pytest.raises(NotFound):
        services.get_document(world.outsider, doc.pk)
    with pytest.raises(NotFound):
        services.get_recipient(world.outsider, world.recipient_a.pk)


def test_opposition_deadline_moves_off_holidays_and_adds_distance(world):
    r = world.recipient_a
    r.served_on = date(2025, 6, 14)  # + 1 month = Monday 14 July 2025 (holiday)
    assert services.opposition_deadline(r) == date(2025, 7, 15)
    r.residence = r.RESIDENCE_ABROAD  # + 3 months = Sunday 14 September 2025
    assert services.opposition_deadline(r) == date(2025, 9, 15)
    assert "greffe" in services.opposition_information(r)


def test_every_operation_is_journaled_with_its_dossier(world):
    doc = deposit(world.officer, world.dossier, make_pdf("j"))
    services.issue_credentials(world.officer, world.recipient_a)
    services.consult(world.recipient_a, doc.pk, "view")
    actions = set(services.dossier_journal(world.dossier).values_list("action", flat=True))
    assert {
        "pieces:dossier:created",
        "pieces:recipient:added",
        "pieces:document:deposited",
        "pieces:credential:issued",
        "pieces:document:consulted",
    } <= actions
    for entry in services.dossier_journal(world.dossier):
        assert "code" not in entry.leaf.lower().replace("media_type", "")
