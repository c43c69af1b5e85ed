"""Turning domain errors into answers, shared by the pages and the API."""

from __future__ import annotations

from sceau.core.errors import SceauError
from sceau.vault.errors import VaultError

VAULT_STATUS = {
    "too_large": 413,
    "unsupported_format": 415,
    "empty_document": 400,
    "integrity_failure": 500,
    "key_not_found": 500,
    "blob_not_found": 500,
}


NOTARY_STATUS = {"tsa_unavailable": 503, "timestamp_refused": 502, "pki_error": 500}


def error_status(exc: Exception) -> int:
    from sceau.notary.errors import NotaryError

    if isinstance(exc, SceauError):
        return exc.status
    if isinstance(exc, NotaryError):  # a signer's passphrase, PIN or certificate: 400
        return NOTARY_STATUS.get(exc.code, 400)
    if isinstance(exc, VaultError):
        return VAULT_STATUS.get(exc.code, 500)
    return 500


def error_body(exc: Exception) -> dict[str, str]:
    from sceau.notary.errors import NotaryError

    if isinstance(exc, SceauError | VaultError | NotaryError):
        return {"error": exc.code, "message": exc.message}
    return {"error": "internal_error", "message": "Erreur interne : réessayez plus tard."}


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"
