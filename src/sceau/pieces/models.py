"""Mes Pieces: dossiers of injunction-to-pay cases, their recipients and documents."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from sceau.identity.models import Office
from sceau.vault.models import Blob


class Dossier(models.Model):
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="dossiers")
    reference = models.CharField(max_length=80)
    creditor = models.CharField(max_length=300)
    court = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["office", "reference"], name="unique_reference")
        ]

    def __str__(self) -> str:
        return self.reference


class Recipient(models.Model):
    """A debtor on whom the order is served; natural or legal person."""

    NATURAL = "natural"
    LEGAL = "legal"
    KINDS = [(NATURAL, "Personne physique"), (LEGAL, "Personne morale")]

    RESIDENCE_FRANCE = "france"
    RESIDENCE_OVERSEAS = "overseas"
    RESIDENCE_ABROAD = "abroad"
    RESIDENCES = [
        (RESIDENCE_FRANCE, "France métropolitaine"),
        (RESIDENCE_OVERSEAS, "Outre-mer"),
        (RESIDENCE_ABROAD, "Étranger"),
    ]

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="recipients")
    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=10, choices=KINDS, default=NATURAL)
    address = models.TextField()
    email = models.EmailField(blank=True)
    residence = models.CharField(max_length=10, choices=RESIDENCES, default=RESIDENCE_FRANCE)
    served_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class Document(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="documents")
    blob = models.OneToOneField(Blob, on_delete=models.PROTECT)
    name = models.CharField(max_length=200, help_text="Sanitised display name, never a path.")
    media_type = models.CharField(max_length=40)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    deposited_at = models.DateTimeField()
    deposited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    expires_at = models.DateTimeField()
    visible_to_all = models.BooleanField(default=True)
    recipients = models.ManyToManyField(Recipient, blank=True, related_name="documents")
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["deposited_at", "pk"]

    def __str__(self) -> str:
        return self.name

    def is_available(self, now=None) -> bool:
        return self.purged_at is None and (now or timezone.now()) < self.expires_at


class Consultation(models.Model):
    VIEW = "view"
    DOWNLOAD = "download"

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="consultations")
    recipient = models.ForeignKey(Recipient, on_delete=models.PROTECT, related_name="consultations")
    at = models.DateTimeField()
    mode = models.CharField(max_length=10)
    journal_index = models.BigIntegerField()

    class Meta:
        ordering = ["at"]
