"""Offices, officers, API tokens and the access credentials printed on served acts."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models


class Office(models.Model):
    """An office (etude) of commissaires de justice."""

    name = models.CharField(max_length=200)
    address = models.TextField()
    departments = models.CharField(
        max_length=300,
        blank=True,
        help_text="Comma-separated départements of its court-of-appeal area (competence).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    def department_codes(self) -> set[str]:
        return {d.strip().upper() for d in self.departments.split(",") if d.strip()}


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    """A person who signs in to the web pages: an officer of an office, or an auditor."""

    OFFICER = "officer"
    AUDITOR = "auditor"
    CREDITOR = "creditor"
    ROLES = [(OFFICER, "Commissaire de justice"), (AUDITOR, "Auditeur"), (CREDITOR, "Créancier")]

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    role = models.CharField(max_length=20, choices=ROLES, default=OFFICER)
    office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.PROTECT)
    totp_secret = models.CharField(max_length=64)
    is_active = models.BooleanField(default=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    objects = UserManager()

    def __str__(self) -> str:
        return self.full_name

    @property
    def is_officer(self) -> bool:
        return self.role == self.OFFICER and self.office_id is not None


class ApiToken(models.Model):
    """A revocable token for the office software: a public prefix plus an HMAC of the whole."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)


class AccessCredential(models.Model):
    """Identifier and code printed on a served act; the code is kept only as an Argon2 hash."""

    identifier = models.CharField(max_length=32, unique=True)
    code_hash = models.CharField(max_length=200)
    password_hash = models.CharField(
        max_length=200, blank=True, help_text="Optional password the holder chose (Argon2)."
    )
    holder_kind = models.CharField(max_length=40)
    holder_id = models.BigIntegerField()
    issued_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["holder_kind", "holder_id"], name="one_credential")
        ]


class AccessSession(models.Model):
    """A recipient's API session token (hashed), with idle and absolute expiry."""

    credential = models.ForeignKey(AccessCredential, on_delete=models.CASCADE)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)


class OfficerCertificate(models.Model):
    """An X.509 authentication certificate registered for an officer.

    The TLS proxy verifies the chain, validity and revocation list; Sceau then maps the
    verified certificate to its officer by SHA-256 fingerprint (or issuer and serial number, for
    a renewed certificate registered in advance) and checks validity and its own revocation
    again, so that a proxy misconfiguration alone cannot let an unregistered certificate in.
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="certificates")
    fingerprint = models.CharField(max_length=64, unique=True, help_text="SHA-256, hex.")
    issuer = models.CharField(max_length=500, help_text="RFC 4514 issuer name.")
    serial = models.CharField(max_length=64, help_text="Serial number, hex.")
    subject = models.CharField(max_length=500)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    registered_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "serial"], name="one_certificate_per_serial")
        ]


class OidcIdentity(models.Model):
    """An identity of an OpenID Connect provider (FranceConnect-compatible) linked to a party.

    Linked after the party's first access with the printed code (a credential holder) or with
    their account (a creditor); afterwards the provider alone lets them in. ``subject`` is the
    provider's ``sub``, stable per client.
    """

    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    credential = models.ForeignKey(
        AccessCredential, null=True, blank=True, on_delete=models.CASCADE, related_name="oidc"
    )
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="oidc"
    )
    given_name = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(max_length=200, blank=True)
    linked_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credential__isnull=True, user__isnull=False)
                | models.Q(credential__isnull=False, user__isnull=True),
                name="oidc_links_one_party",
            ),
            models.UniqueConstraint(
                fields=["issuer", "subject", "credential"], name="oidc_once_per_credential"
            ),
            models.UniqueConstraint(
                fields=["issuer", "subject", "user"], name="oidc_once_per_user"
            ),
        ]
