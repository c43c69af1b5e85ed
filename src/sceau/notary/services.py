"""Notices and timestamps seen from Django: the configured authority, Notice rows, retries."""

from __future__ import annotations

import functools
import hashlib
import logging
from pathlib import Path

from cryptography import x509
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from sceau.journal.cases import DOSSIER, CaseRef
from sceau.journal.services import Actor, record
from sceau.notary import notices
from sceau.notary.errors import AuthorityUnavailable, SignatureError, TimestampRefused
from sceau.notary.events import NotaryEvent
from sceau.notary.models import Notice, SigningIdentity, TreeHeadStamp
from sceau.notary.pki import ensure_test_pki
from sceau.notary.signatures import (
    SignatureReport,
    Signer,
    build_validation_context,
    sign_pdf,
    signer_from_pkcs11,
    signer_from_pkcs12,
    validate_pdf,
)
from sceau.notary.timestamps import BuiltinTimeStamper, HttpTimeStamper, TimeStamper

log = logging.getLogger(__name__)


@functools.cache
def get_timestamper() -> TimeStamper:
    """The configured authority, or the built-in (non qualified) one of the test PKI."""
    cfg = settings.CONFIG
    if cfg.tsa_url:
        roots = x509.load_pem_x509_certificates(cfg.tsa_roots.read_bytes())
        return HttpTimeStamper(
            cfg.tsa_url,
            roots,
            username=cfg.tsa_username or None,
            password=cfg.tsa_password or None,
            qualified=cfg.tsa_qualified,
        )
    return BuiltinTimeStamper(ensure_test_pki(cfg.data_dir / "pki"))


def reset() -> None:
    get_timestamper.cache_clear()


def create_notice(facts: notices.NoticeFacts, office_id: int) -> Notice:
    """Render and store a notice inside the caller's transaction; stamp it after commit."""
    stamper = get_timestamper()
    pdf = notices.render_pdf(facts, stamper.label, stamper.qualified)
    case = facts.case_ref
    pieces = case.kind == DOSSIER
    notice = Notice.objects.create(
        kind=facts.kind,
        context=facts.context,
        party=facts.party,
        office_id=office_id,
        case_kind=case.kind,
        case_id=case.id,
        dossier_id=case.id if pieces else None,
        recipient_id=facts.recipient_id if pieces else None,
        document_id=facts.document_id,
        event_journal_index=facts.journal_index,
        canonical=notices.canonical(facts, stamper.label, stamper.qualified),
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        authority=stamper.label,
        qualified=stamper.qualified,
    )
    record(
        Actor.system("sceau notary"),
        NotaryEvent.NOTICE_CREATED,
        object_kind="notice",
        object_id=notice.pk,
        office_id=office_id,
        case=case,
        details={
            "kind": facts.kind,
            "pdf_sha256": notice.pdf_sha256,
            "event_index": facts.journal_index,
            "recipient": facts.recipient_id,
            "document": facts.document_id,
        },
    )
    notice_id = notice.pk
    transaction.on_commit(lambda: stamp_notice(notice_id))
    return notice


def stamp_notice(notice_id: int) -> bool:
    """Ask the authority for the notice's token; False (kept pending) if it cannot answer."""
    notice = Notice.objects.filter(pk=notice_id, token=None).first()
    if notice is None:
        return True
    try:
        stamp = get_timestamper().stamp(bytes(notice.pdf))
    except (AuthorityUnavailable, TimestampRefused) as exc:
        Notice.objects.filter(pk=notice_id).update(
            attempts=notice.attempts + 1, last_error=f"{exc.code}: {exc.detail or exc}"[:300]
        )
        log.warning("notice %s not stamped yet: %s", notice_id, exc)
        return False
    with transaction.atomic():
        updated = Notice.objects.filter(pk=notice_id, token=None).update(
            token=stamp.token, stamped_at=stamp.gen_time, last_error=""
        )
        if updated:
            record(
                Actor.system("sceau notary"),
                NotaryEvent.NOTICE_STAMPED,
                object_kind="notice",
                object_id=notice_id,
                office_id=notice.office_id,
                case=notice.case_ref,
                details={
                    "gen_time": stamp.gen_time.isoformat(),
                    "serial": str(stamp.serial),
                    "authority": stamp.tsa_name,
                },
            )
    return True


def stamp_pending(limit: int = 200) -> tuple[int, int]:
    """Retry pending notices (oldest first); return (stamped now, still pending)."""
    done = 0
    for pk in Notice.objects.filter(token=None).order_by("pk").values_list("pk", flat=True)[:limit]:
        if stamp_notice(pk):
            done += 1
        else:
            break  # the authority is down: do not hammer it, the next round retries
    return done, Notice.objects.filter(token=None).count()


def notices_for_case(case: CaseRef) -> QuerySet[Notice]:
    return Notice.objects.filter(case_kind=case.kind, case_id=case.id)


def notices_for_dossier(dossier_id: int) -> QuerySet[Notice]:
    return notices_for_case(CaseRef.dossier(dossier_id))


def notices_for_recipient(recipient_id: int) -> QuerySet[Notice]:
    return Notice.objects.filter(context="pieces", recipient_id=recipient_id)


def notices_for_claim(claim_id: int, party: str | None = None) -> QuerySet[Notice]:
    qs = notices_for_case(CaseRef.claim(claim_id))
    return qs.filter(party=party) if party else qs


def stamp_tree_head(min_seconds: int = 300) -> TreeHeadStamp | None:
    """Timestamp the latest signed tree head, at most once every ``min_seconds``."""
    from sceau.journal.canonical import canonical_json
    from sceau.journal.transparency import latest_tree_head

    head = latest_tree_head()
    if head is None or TreeHeadStamp.objects.filter(tree_size=head.tree_size).exists():
        return None
    last = TreeHeadStamp.objects.order_by("-stamped_at").first()
    if last and (timezone.now() - last.stamped_at).total_seconds() < min_seconds:
        return None
    stamp = get_timestamper().stamp(canonical_json(head.as_json()).encode())
    return TreeHeadStamp.objects.create(
        tree_size=head.tree_size,
        token=stamp.token,
        stamped_at=stamp.gen_time,
        authority=stamp.tsa_name,
        qualified=get_timestamper().qualified,
    )


# --- PAdES signatures ----------------------------------------------------------------------


def trust_roots() -> list[x509.Certificate]:
    """Roots accepted for officers' signatures: SCEAU_SIGNATURE_ROOTS, plus the TEST root
    outside production (labelled as such in every report)."""
    cfg = settings.CONFIG
    roots: list[x509.Certificate] = []
    if cfg.signature_roots is not None:
        roots += x509.load_pem_x509_certificates(cfg.signature_roots.read_bytes())
    if not cfg.production:
        roots.append(ensure_test_pki(cfg.data_dir / "pki").root_cert)
    return roots


def use_test_certificate(user) -> SigningIdentity:
    """Give an officer the TEST PKI's officer certificate (demo and tests only)."""
    if settings.CONFIG.production:
        raise SignatureError(
            "La PKI de test est refusée en production.", detail="test PKI in production"
        )
    pki = ensure_test_pki(settings.CONFIG.data_dir / "pki")
    identity, _ = SigningIdentity.objects.update_or_create(
        user=user,
        defaults={
            "source": SigningIdentity.PKCS12,
            "pkcs12_path": str(pki.officer_p12_path),
            "test_pki": True,
        },
    )
    return identity


def signer_for(user, secret: str) -> Signer:
    """The officer's signer, unlocked with the passphrase (PKCS#12) or PIN (PKCS#11) typed."""
    identity = SigningIdentity.objects.filter(user=user).first()
    if identity is None:
        raise SignatureError(
            "Aucun certificat de signature n'est configuré pour vous : demandez à "
            "l'administrateur de l'étude de l'enregistrer.",
            detail="no SigningIdentity",
        )
    if identity.source == SigningIdentity.PKCS11:
        return signer_from_pkcs11(
            identity.pkcs11_lib, identity.token_label, secret, identity.key_label
        )
    return signer_from_pkcs12(Path(identity.pkcs12_path), secret.encode())


def sign_document(user, pdf: bytes, secret: str, *, reason: str, location: str) -> bytes:
    """PAdES B-T (B-LT with the TEST PKI's CRL) signature by ``user``; journaled."""
    from sceau.journal.services import Actor, record

    signer = signer_for(user, secret)
    context = None
    identity = SigningIdentity.objects.get(user=user)
    if identity.test_pki:
        pki = ensure_test_pki(settings.CONFIG.data_dir / "pki")
        context = build_validation_context([pki.root_cert], crls=[pki.crl()])
    signed = sign_pdf(
        pdf,
        signer,
        timestamper=get_timestamper().pyhanko_timestamper(),
        reason=reason,
        location=location,
        validation_context=context,
    )
    record(
        Actor.officer(user),
        NotaryEvent.PDF_SIGNED,
        object_kind="pdf",
        object_id=hashlib.sha256(signed).hexdigest()[:16],
        office_id=user.office_id,
        details={
            "sha256": hashlib.sha256(signed).hexdigest(),
            "reason": reason,
            "test_certificate": identity.test_pki,
        },
    )
    return signed


def signature_report(pdf: bytes) -> list[SignatureReport]:
    crls = []
    if not settings.CONFIG.production:
        crls.append(ensure_test_pki(settings.CONFIG.data_dir / "pki").crl())
    return validate_pdf(pdf, trust_roots(), crls=crls)


def report_for_upload(sealed) -> list[SignatureReport]:
    """Validate a PDF that arrived as a sealed upload (decrypted in memory, never on disk)."""
    from sceau.vault.services import get_vault

    if sealed.media_type != "application/pdf":
        raise SignatureError(
            "Seul un fichier PDF peut porter une signature PAdES.",
            detail=f"media type {sealed.media_type}",
        )
    if sealed.size > 50_000_000:
        raise SignatureError(
            "Ce PDF dépasse 50 Mo : la vérification en ligne est refusée.",
            detail="too large to validate in memory",
        )
    pdf = b"".join(
        get_vault().open(
            sealed.blob_name, sealed.key_id, sealed.wrapped_key, sealed.sha256, sealed.size
        )
    )
    return signature_report(pdf)


def report_as_dict(r: SignatureReport) -> dict:
    return {
        "field_name": r.field_name,
        "ok": r.ok,
        "valid": r.valid,
        "intact": r.intact,
        "trusted": r.trusted,
        "signer_name": r.signer_name,
        "signer_email": r.signer_email,
        "signing_time": r.signing_time.isoformat() if r.signing_time else None,
        "timestamp_time": r.timestamp_time.isoformat() if r.timestamp_time else None,
        "timestamp_valid": r.timestamp_valid,
        "chain": list(r.chain),
        "qualified": r.qualified,
        "level": r.level,
        "covers_whole_file": r.covers_whole_file,
        "problems": list(r.problems),
    }
