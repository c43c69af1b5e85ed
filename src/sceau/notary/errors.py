"""Errors raised by the notary core (timestamps, PKI, signatures).

Every error carries ``message`` (French, shown to users, says what to do next), ``code`` (a short
English slug for programs and logs) and ``detail`` (optional English text for logs only, never
shown to users).
"""

from __future__ import annotations

from sceau.core.errors import SceauError


class NotaryError(SceauError):
    """Base class of every notary error."""

    code = "notary_error"
    message = (
        "Une erreur est survenue lors de l'horodatage ou de la signature. Réessayez dans "
        "quelques instants ; si le problème persiste, contactez l'administrateur de la plateforme."
    )


class TimestampRefused(NotaryError):
    """The authority's answer does not check out (status, imprint, nonce, signature, chain).

    Retrying the same authority is unlikely to help: its configuration or trust anchors need
    attention.
    """

    status = 502
    code = "timestamp_refused"
    message = (
        "Le jeton d'horodatage n'a pas pu être validé : il ne correspond pas au document ou "
        "l'autorité d'horodatage n'est pas reconnue. Vérifiez la configuration de l'autorité "
        "d'horodatage (adresse, certificats racines) ; si le problème persiste, contactez "
        "l'administrateur de la plateforme."
    )


class AuthorityUnavailable(NotaryError):
    """The authority could not be reached (network error, time-out, HTTP 5xx): retry later."""

    status = 503
    code = "tsa_unavailable"
    message = (
        "L'autorité d'horodatage ne répond pas pour le moment. L'horodatage sera retenté "
        "automatiquement ; aucune action n'est nécessaire de votre part."
    )


class SignatureError(NotaryError):
    """A document could not be signed, or its signature does not check out."""

    code = "signature_error"
    message = (
        "La signature du document a échoué. Réessayez dans quelques instants ; si le problème "
        "persiste, contactez l'administrateur de la plateforme."
    )


class PkiError(NotaryError):
    """The certificates or keys on disk cannot be used as they are."""

    status = 500
    code = "pki_error"
    message = (
        "Les certificats de la plateforme sont illisibles ou incomplets. Contactez "
        "l'administrateur de la plateforme."
    )


class SignerCredentialError(SignatureError):
    """The signing key cannot be reached: PKCS#12 file, passphrase, card, PIN, labels."""

    code = "signer_credential"
    message = (
        "La clé de signature est inaccessible. Vérifiez le certificat, la carte et le code "
        "PIN, puis réessayez."
    )


class SignerCertificateError(SignatureError):
    """The signer's certificate cannot be used to sign now (expired, revoked, untrusted)."""

    code = "signer_certificate"
    message = (
        "Le certificat de signature ne peut pas être utilisé. Vérifiez sa validité auprès de "
        "votre prestataire de certification."
    )


class PdfDocumentError(SignatureError):
    """The PDF cannot be read, or holds no signature to verify."""

    code = "pdf_unreadable"
    message = (
        "Le document PDF est illisible ou endommagé. Vérifiez le fichier et déposez-le à nouveau."
    )
