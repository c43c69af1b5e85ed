"""The append-only journal of operations (arrete 2022 art. 6, arrete 2016 art. 8).

Rows are written once by ``sceau.journal.services.record`` and never changed: database triggers
(migration 0002) refuse UPDATE and DELETE on both SQLite and PostgreSQL.
"""

from __future__ import annotations

from django.db import models


class JournalEntry(models.Model):
    index = models.BigIntegerField(unique=True, help_text="0-based, gapless position.")
    recorded_at = models.DateTimeField(db_index=True)
    actor_kind = models.CharField(max_length=20)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_name = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    object_kind = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    office_id = models.BigIntegerField(null=True, db_index=True)
    dossier_id = models.BigIntegerField(null=True, db_index=True)
    details = models.JSONField(default=dict)
    leaf = models.TextField(help_text="The canonical JSON that was hashed.")
    leaf_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["index"]
        verbose_name = "entrée du journal"

    def __str__(self) -> str:
        return f"#{self.index} {self.action}"


class JournalHead(models.Model):
    """One row holding the next index; locked by each append so indices have no gap."""

    next_index = models.BigIntegerField(default=0)
