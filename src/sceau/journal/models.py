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
    # Nullable so that adding the column never rebuilds the table on SQLite (a rebuild would
    # drop the append-only triggers of migration 0002).
    case_kind = models.CharField(max_length=20, null=True, blank=True)  # noqa: DJ001
    case_id = models.BigIntegerField(null=True)
    details = models.JSONField(default=dict)
    leaf = models.TextField(blank=True, help_text="The canonical JSON hashed; '' once pruned.")
    leaf_hash = models.CharField(max_length=64)
    retain_until = models.DateTimeField(help_text="Never pruned before this instant.")
    pruned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["index"]
        verbose_name = "entrée du journal"
        indexes = [models.Index(fields=["case_kind", "case_id", "index"], name="entry_case")]

    def __str__(self) -> str:
        return f"#{self.index} {self.action}"


class JournalNode(models.Model):
    """The hash of one complete subtree: leaves [index * 2**level, (index + 1) * 2**level)."""

    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "index"], name="one_node")]


class TreeHead(models.Model):
    """A signed tree head (RFC 9162 style); every one made is kept."""

    tree_size = models.BigIntegerField(unique=True)
    root_hash = models.CharField(max_length=64)
    timestamp = models.CharField(max_length=40, help_text="RFC 3339 UTC, as signed.")
    key_id = models.CharField(max_length=40)
    signature = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tree_size"]

    def as_json(self) -> dict:
        return {
            "tree_size": self.tree_size,
            "root_hash": self.root_hash,
            "timestamp": self.timestamp,
            "key_id": self.key_id,
            "signature": self.signature,
        }


class JournalHead(models.Model):
    """One row holding the next index; locked by each append so indices have no gap."""

    next_index = models.BigIntegerField(default=0)


class Cosignature(models.Model):
    """A witness's cosignature of one signed tree head (c2sp.org/tlog-cosignature)."""

    witness = models.CharField(max_length=200, help_text="The witness's key name.")
    tree_size = models.BigIntegerField()
    line = models.TextField(help_text="The signature line, as appended to the checkpoint.")
    cosigned_at = models.DateTimeField(help_text="The time the witness signed.")

    class Meta:
        ordering = ["tree_size", "witness"]
        constraints = [
            models.UniqueConstraint(fields=["witness", "tree_size"], name="one_cosignature")
        ]


class WitnessView(models.Model):
    """What each witness has cosigned last (the ``old`` size of the next submission), and the
    last failure, shown by ``sceau check``."""

    witness = models.CharField(max_length=200, unique=True)
    size = models.BigIntegerField(default=0)
    cosigned_at = models.DateTimeField(null=True)
    last_error = models.CharField(max_length=300, blank=True)
    last_error_at = models.DateTimeField(null=True)
