"""The vault seen from Django: the configured store and keyring, and Blob rows."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sceau.journal.services import Actor, record
from sceau.vault.blobstores import BlobStore, LocalBlobStore, S3BlobStore
from sceau.vault.core import SealedBlob, Vault
from sceau.vault.errors import IntegrityError
from sceau.vault.events import VaultEvent
from sceau.vault.keyring import FileKeyring, KeySource
from sceau.vault.models import Blob

log = logging.getLogger(__name__)

# What a blob store may raise when it is unreachable: the local disk's or S3's errors.
STORE_ERRORS = (OSError, BotoCoreError, ClientError)


def build_store() -> BlobStore:
    cfg = settings.CONFIG
    if cfg.blob_store == "s3":
        return S3BlobStore.from_settings(
            cfg.s3_bucket, cfg.s3_prefix, cfg.s3_endpoint_url or None, cfg.s3_region
        )
    return LocalBlobStore(cfg.data_dir / "blobs")


@functools.cache
def get_keys() -> KeySource:
    return FileKeyring(settings.CONFIG.keyring_path)


@functools.cache
def get_vault() -> Vault:
    return Vault(build_store(), get_keys(), max_bytes=settings.SCEAU_MAX_UPLOAD_BYTES)


def reset() -> None:
    """Forget the cached vault (tests change settings between cases)."""
    get_vault.cache_clear()
    get_keys.cache_clear()


def save_sealed(sealed: SealedBlob) -> Blob:
    """Record a sealed blob; call inside the transaction of the operation that uses it."""
    return Blob.objects.create(
        name=sealed.blob_name,
        sha256=sealed.sha256,
        size=sealed.size,
        stored_size=sealed.stored_size,
        media_type=sealed.media_type,
        key_id=sealed.key_id,
        wrapped_key=sealed.wrapped_key,
    )


def open_blob(blob: Blob) -> Iterator[bytes]:
    """Decrypt and re-hash; raises sceau.vault.errors.IntegrityError on any mismatch."""
    return get_vault().open(blob.name, blob.key_id, bytes(blob.wrapped_key), blob.sha256, blob.size)


def verify_blob(blob: Blob) -> None:
    get_vault().verify(blob.name, blob.key_id, bytes(blob.wrapped_key), blob.sha256, blob.size)


# Up to this size a document is checked whole before its first byte leaves, so a damaged one is
# refused with a clear error instead of a cut-short download.
VERIFY_BEFORE_SENDING_MAX = 64 * 1024 * 1024


def open_checked(blob: Blob, on_failure: Callable[[str], object]) -> Iterator[bytes]:
    """Open a blob for a reader, for every app: checked whole first when small, then decrypted
    and re-hashed as it streams; any integrity failure calls ``on_failure(detail)`` (the caller
    journals it, with its own tag and case) and raises."""
    if blob.size <= VERIFY_BEFORE_SENDING_MAX:
        try:
            verify_blob(blob)
        except IntegrityError as exc:
            on_failure(getattr(exc, "detail", None) or str(exc))
            raise
    return _guarded(open_blob(blob), on_failure)


def _guarded(chunks: Iterator[bytes], on_failure: Callable[[str], object]) -> Iterator[bytes]:
    try:
        yield from chunks
    except IntegrityError as exc:
        # Bytes already sent cannot be recalled; the response is cut short and never completes.
        log.error("integrity failure while streaming: %s", exc)
        on_failure(getattr(exc, "detail", None) or str(exc))
        raise


def shred(blob: Blob) -> None:
    """Erase the wrapped data key now and delete the ciphertext once the transaction commits.

    Must run inside a transaction. Without its data key the ciphertext can never be read again,
    so the document is gone even if the store is unreachable at that moment (the orphan sweep
    retries the deletion).
    """
    blob.wrapped_key = None
    blob.destroyed_at = timezone.now()
    blob.save(update_fields=["wrapped_key", "destroyed_at"])
    name = blob.name
    transaction.on_commit(lambda: _delete_quietly(name))


def _delete_quietly(name: str) -> None:
    try:
        get_vault().destroy(name)
    except STORE_ERRORS as exc:  # the sweep will retry; the key is already gone
        log.warning("blob %s could not be deleted yet: %s", name, exc)


def sweep_orphans(min_age_seconds: float = 3600) -> int:
    """Delete stored blobs that no live Blob row references (interrupted or refused uploads)."""
    store = get_vault().store
    live = set(Blob.objects.filter(destroyed_at=None).values_list("name", flat=True))
    removed = 0
    cutoff = time.time() - min_age_seconds
    for name in list(store.names()):
        if name in live:
            continue
        if Blob.objects.filter(name=name, destroyed_at=None).exists():
            continue  # committed since we listed
        if Blob.objects.filter(name=name).exists() or store.modified(name) < cutoff:
            store.delete(name)
            removed += 1
    if isinstance(store, LocalBlobStore):
        store.sweep_temporary(min_age_seconds)
    return removed


def rotate_keys() -> tuple[str, int]:
    """Make a new key-encryption key current and rewrap every live data key with it."""
    keys = get_keys()
    new_id = keys.rotate()
    count = 0
    for blob in Blob.objects.filter(destroyed_at=None).exclude(key_id=new_id).iterator():
        with transaction.atomic():
            locked = Blob.objects.select_for_update().get(pk=blob.pk)
            if locked.wrapped_key is None or locked.key_id == new_id:
                continue
            key_id, wrapped = keys.rewrap(
                locked.key_id, bytes(locked.wrapped_key), locked.name.encode()
            )
            locked.key_id, locked.wrapped_key = key_id, wrapped
            locked.save(update_fields=["key_id", "wrapped_key"])
            count += 1
    record(
        Actor.system("sceau keys rotate"),
        VaultEvent.KEY_ROTATED,
        object_kind="key",
        object_id=new_id,
        details={"rewrapped": count},
    )
    return new_id, count
