"""Timestamped notices (avis horodatés) and the timestamps of journal tree heads."""

from __future__ import annotations

import json

from django.db import models

from sceau.journal.cases import CaseRef


class Notice(models.Model):
    """A notice of provision, consultation or first access, with its PDF and RFC 3161 token.

    The token is requested after the operation commits; while the authority cannot be reached
    the notice stays ``pending`` and ``sceau worker`` retries until it answers.
    """

    PROVISION = "provision"
    CONSULTATION = "consultation"
    FIRST_ACCESS = "first_access"
    EVENT = "event"
    KINDS = [
        (EVENT, "Avis d'événement"),
        (PROVISION, "Avis de mise à disposition"),
        (CONSULTATION, "Avis de consultation"),
        (FIRST_ACCESS, "Avis de premier accès"),
    ]

    kind = models.CharField(max_length=20, choices=KINDS)
    context = models.CharField(
        max_length=20, default="pieces", help_text="pieces (dossier) or creances (claim)."
    )
    party = models.CharField(max_length=10, blank=True, help_text="creditor or debtor (claims).")
    office_id = models.BigIntegerField(db_index=True)
    # The case noticed: a Mes Pièces dossier or a Petites créances claim (journal.cases).
    case_kind = models.CharField(max_length=20, blank=True, default="")
    case_id = models.BigIntegerField(null=True)
    # Mes Pièces only: the dossier and the recipient noticed.
    dossier_id = models.BigIntegerField(null=True, db_index=True)
    recipient_id = models.BigIntegerField(null=True, db_index=True)
    document_id = models.BigIntegerField(null=True)
    event_journal_index = models.BigIntegerField(help_text="The journaled operation noticed.")
    canonical = models.TextField(help_text="RFC 8785 JSON of the notice, as rendered in the PDF.")
    pdf = models.BinaryField()
    pdf_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    token = models.BinaryField(null=True)
    stamped_at = models.DateTimeField(null=True, help_text="genTime of the token.")
    authority = models.CharField(max_length=200, blank=True)
    qualified = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["case_kind", "case_id"], name="notice_case")]

    @property
    def pending(self) -> bool:
        return self.token is None

    @property
    def case_ref(self) -> CaseRef | None:
        """The case noticed (a notice made before the case columns: its dossier, if any)."""
        if self.case_kind:
            return CaseRef(self.case_kind, self.case_id)
        return CaseRef.dossier(self.dossier_id) if self.dossier_id is not None else None

    @property
    def recipient_name(self) -> str:
        return json.loads(self.canonical)["recipient"]["name"]


class TreeHeadStamp(models.Model):
    """An RFC 3161 token over the canonical JSON of a signed tree head."""

    tree_size = models.BigIntegerField(unique=True)
    token = models.BinaryField()
    stamped_at = models.DateTimeField()
    authority = models.CharField(max_length=200)
    qualified = models.BooleanField(default=False)


class SigningIdentity(models.Model):
    """Where an officer's signing key lives: a PKCS#12 file or a PKCS#11 token (card, HSM).

    The passphrase or PIN is never stored: the officer types it at each signature.
    """

    PKCS12 = "pkcs12"
    PKCS11 = "pkcs11"

    user = models.OneToOneField(
        "identity.User", on_delete=models.CASCADE, related_name="signing_identity"
    )
    source = models.CharField(max_length=10, choices=[(PKCS12, "PKCS#12"), (PKCS11, "PKCS#11")])
    pkcs12_path = models.CharField(max_length=500, blank=True)
    pkcs11_lib = models.CharField(max_length=500, blank=True)
    token_label = models.CharField(max_length=100, blank=True)
    key_label = models.CharField(max_length=100, blank=True)
    test_pki = models.BooleanField(default=False, help_text="A TEST certificate, never qualified.")
