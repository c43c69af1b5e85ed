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
