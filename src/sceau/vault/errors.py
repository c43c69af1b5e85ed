"""Errors raised by the vault.

Every error carries ``message`` (French, shown to end users, says what to do next), ``code`` (a
short English slug for programs and logs) and ``detail`` (optional English text for logs only,
never shown to users).
"""

from __future__ import annotations

from sceau.core.errors import SceauError


class VaultError(SceauError):
    """Base class of every vault error: a server-side failure unless a subclass says else."""

    status = 500
    code = "vault_error"
    message = (
        "Une erreur est survenue lors du traitement du document. Réessayez dans quelques "
        "instants ; si le problème persiste, contactez l'étude."
    )


class IntegrityError(VaultError):
    """Decryption or authentication failed, or the fingerprint does not match."""

    code = "integrity_failure"
    message = (
        "Le document stocké ne correspond plus à son empreinte : la consultation est arrêtée. "
        "L'étude a été prévenue."
    )


class UnsupportedFormat(VaultError):
    """The document is not an accepted format, or looks damaged."""

    status = 415
    code = "unsupported_format"
    message = (
        "Ce fichier n'a pas été accepté : seuls les formats PDF, PNG et JPEG le sont. "
        "Enregistrez ou exportez votre document dans l'un de ces formats, puis déposez-le "
        "à nouveau."
    )


class EmptyDocument(VaultError):
    """Nothing was received."""

    status = 400
    code = "empty_document"
    message = (
        "Le fichier reçu est vide. Vérifiez que vous avez choisi le bon document, puis "
        "déposez-le à nouveau."
    )


class DocumentTooLarge(VaultError):
    """More than the configured limit was received."""

    status = 413
    code = "too_large"

    def __init__(self, limit_bytes: int, *, detail: str | None = None) -> None:
        self.limit_bytes = limit_bytes
        limit = _megabytes(limit_bytes)
        super().__init__(
            f"Le document dépasse la taille maximale acceptée ({limit} Mo). Réduisez sa taille "
            "(par exemple en le numérisant en plus basse résolution) ou découpez-le en "
            "plusieurs fichiers, puis déposez-le à nouveau.",
            detail=detail,
        )


def _megabytes(n: int) -> str:
    """Format a byte count in MB the way users expect it (200 MB limit -> "200")."""
    if n % (1 << 20) == 0:
        return str(n >> 20)
    mb = n / 1_000_000
    return f"{mb:.0f}" if mb >= 10 or mb == int(mb) else f"{mb:.1f}".replace(".", ",")


class KeyNotFound(VaultError):
    """The key-encryption key named by a document is not in the keyring."""

    code = "key_not_found"
    message = (
        "La clé de chiffrement de ce document est introuvable : il ne peut pas être ouvert. "
        "Contactez l'administrateur de la plateforme."
    )


class BlobNotFound(VaultError):
    """The stored encrypted document does not exist."""

    code = "blob_not_found"
    message = (
        "Le document stocké est introuvable : il a peut-être été supprimé à l'expiration de "
        "son délai de conservation. Contactez l'étude."
    )


class KeyringError(VaultError):
    """The keyring file cannot be used as it is (permissions, corrupted content)."""

    code = "keyring_error"
    message = "Le trousseau de clés est inutilisable. Contactez l'administrateur de la plateforme."
