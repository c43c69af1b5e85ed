"""Tokens stored as a public prefix plus an HMAC of the whole token (never in clear)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from django.conf import settings

_hasher = PasswordHasher()  # Argon2id, 16-byte (128-bit) random salt
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def _hmac_key() -> bytes:
    return hashlib.sha256(b"sceau-token-hmac:" + settings.SECRET_KEY.encode()).digest()


def token_digest(raw: str) -> str:
    return hmac.new(_hmac_key(), raw.encode(), hashlib.sha256).hexdigest()


def new_token(kind: str) -> tuple[str, str, str]:
    """Return (raw token, prefix, digest). ``kind`` is a short tag such as 'sct' or 'sca'."""
    prefix = secrets.token_hex(6)
    raw = f"{kind}_{prefix}_{secrets.token_urlsafe(32)}"
    return raw, prefix, token_digest(raw)


def split_prefix(raw: str, kind: str) -> str | None:
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != kind or len(parts[1]) != 12:
        return None
    return parts[1]


def digest_matches(raw: str, digest: str) -> bool:
    return hmac.compare_digest(token_digest(raw), digest)


def hash_secret(value: str) -> str:
    return _hasher.hash(value)


def verify_secret(stored_hash: str | None, value: str) -> bool:
    """Constant-work check: an unknown holder still costs one Argon2 verification."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, value) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
