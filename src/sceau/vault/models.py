"""Stored blobs: where the ciphertext is, and the wrapped data key that opens it."""

from __future__ import annotations

from django.db import models


class Blob(models.Model):
    """One encrypted document in the blob store.

    Destroying a blob deletes the ciphertext and erases ``wrapped_key`` (crypto-shredding);
    the row stays as a tombstone with the fingerprint and dates.
    """

    name = models.CharField(max_length=32, unique=True)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    stored_size = models.BigIntegerField()
    media_type = models.CharField(max_length=40)
    key_id = models.CharField(max_length=64)
    wrapped_key = models.BinaryField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    @property
    def destroyed(self) -> bool:
        return self.destroyed_at is not None
