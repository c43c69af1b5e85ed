"""Turning domain errors into answers, shared by the pages and the API."""

from __future__ import annotations

from sceau.core.errors import DetailedError, SceauError
from sceau.core.proxy import client_address

# The Django-free cores' errors carry no HTTP status: it is decided here, by code.
CORE_STATUS = {
    # vault
    "too_large": 413,
    "unsupported_format": 415,
    "empty_document": 400,
    # notary: a signer's passphrase, PIN or certificate is the user's to fix (400 by default)
    "tsa_unavailable": 503,
    "timestamp_refused": 502,
}


def error_status(exc: Exception) -> int:
    if isinstance(exc, SceauError):
        return exc.status
    if isinstance(exc, DetailedError):
        if exc.code in CORE_STATUS:
            return CORE_STATUS[exc.code]
        from sceau.vault.errors import VaultError

        return 500 if isinstance(exc, VaultError) or exc.code == "pki_error" else 400
    return 500


def error_body(exc: Exception) -> dict[str, str]:
    if isinstance(exc, SceauError | DetailedError):
        return {"error": exc.code, "message": exc.message}
    return {"error": "internal_error", "message": "Erreur interne : réessayez plus tard."}


def client_ip(request) -> str:
    """The client's address: given by the trusted TLS proxy (X-Real-IP), else REMOTE_ADDR."""
    return client_address(request)
