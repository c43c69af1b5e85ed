"""Petites créances: the small-claims simplified recovery procedure (CPCE L125-1, R125-1 to 8)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from sceau.identity.models import Office


class Claim(models.Model):
    """One claim and where its procedure stands; ``state`` changes only through
    ``sceau.creances.machine``."""

    CONTRACTUAL = "contractual"
    STATUTORY = "statutory"
    BASES = [(CONTRACTUAL, "Origine contractuelle"), (STATUTORY, "Obligation statutaire")]

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="claims")
    state = models.CharField(max_length=20, default="requested", db_index=True)
    # creditor (natural or legal person) and who filed
    creditor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims_as_creditor",
    )
    creditor_name = models.CharField(max_length=300)
    creditor_address = models.TextField()
    creditor_email = models.EmailField(blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claims_filed"
    )
    filed_on = models.DateField()
    # debtor
    debtor_name = models.CharField(max_length=300)
    debtor_address = models.TextField()
    debtor_postal_code = models.CharField(max_length=10)
    debtor_email = models.EmailField(blank=True)
    # the claim
    basis = models.CharField(max_length=20, choices=BASES)
    description = models.TextField()
    principal = models.DecimalField(max_digits=12, decimal_places=2)
    interest = models.DecimalField(max_digits=12, decimal_places=2)
    # mandate
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims_handled",
    )
    decision_reason = models.TextField(blank=True)
    # invitation
    invitation_sent_on = models.DateField(null=True, blank=True)
    invitation_channel = models.CharField(max_length=20, blank=True)
    answer_deadline = models.DateField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # end
    outcome = models.CharField(max_length=30, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    record_pdf = models.BinaryField(null=True)
    title_pdf = models.BinaryField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Créance {self.pk} — {self.debtor_name}"

    @property
    def total(self):
        return self.principal + self.interest

    @property
    def reference(self) -> str:
        return f"PC-{self.created_at:%Y}-{self.pk:06d}"


class Proposal(models.Model):
    """The officer's proposed agreement: amount and payment terms (R125-5)."""

    OPEN = "open"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    SUPERSEDED = "superseded"

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="proposals")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    instalments = models.JSONField(help_text='[{"due": "YYYY-MM-DD", "amount": "123.45"}]')
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=12, default=OPEN)
    debtor_answer = models.BooleanField(null=True)
    debtor_answered_at = models.DateTimeField(null=True)
    creditor_answer = models.BooleanField(null=True)
    creditor_answered_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["created_at", "pk"]


class Message(models.Model):
    """A message (or counter-proposal) between a party and the officer, possibly with a file."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="messages")
    author_kind = models.CharField(max_length=10)  # creditor, debtor, officer
    author_name = models.CharField(max_length=300)
    text = models.TextField()
    counter_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    counter_instalments = models.JSONField(null=True)
    blob = models.ForeignKey("vault.Blob", null=True, on_delete=models.PROTECT)
    file_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]


class Consent(models.Model):
    """A party's first access, recorded as consent to electronic exchange (2016 text, art. 9)."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="consents")
    party = models.CharField(max_length=10)  # creditor or debtor
    at = models.DateTimeField()
    shown_text_sha256 = models.CharField(max_length=64)
    journal_index = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["claim", "party"], name="one_consent")]
