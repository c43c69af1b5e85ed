"""The one root of Sceau's errors (Django-free, so the pure cores use it too).

Every error carries a French ``message`` that tells the user what to do next, an English
``code`` for programs, the HTTP ``status`` that pages and the API answer with, and an optional
English ``detail`` for logs, never shown to users. Each app's ``errors.py`` subclasses these
with its own codes and statuses on the class: no table maps codes to statuses elsewhere.
"""

from __future__ import annotations


class SceauError(Exception):
    status: int = 400
    code: str = "bad_request"
    message: str = "La demande n'a pas pu être traitée."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        detail: str | None = None,
    ) -> None:
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.detail = detail
        super().__init__(self.message)

    def __str__(self) -> str:
        if self.detail:
            return f"{self.message} [{self.code}: {self.detail}]"
        return self.message


class InvalidInput(SceauError):
    code = "invalid_input"
    message = "Les informations envoyées ne sont pas valables : corrigez-les et réessayez."


class AuthenticationFailed(SceauError):
    status = 401
    code = "authentication_failed"
    message = "Identifiants incorrects. Vérifiez-les et réessayez."


class PermissionDenied(SceauError):
    status = 403
    code = "forbidden"
    message = "Vous n'avez pas le droit d'effectuer cette opération."


class NotFound(SceauError):
    status = 404
    code = "not_found"
    message = "Cet élément n'existe pas ou ne vous est pas accessible."


class Conflict(SceauError):
    status = 409
    code = "conflict"


class Gone(SceauError):
    status = 410
    code = "gone"


class TooLarge(SceauError):
    status = 413
    code = "too_large"


class UnsupportedMediaType(SceauError):
    status = 415
    code = "unsupported_format"


class TooManyAttempts(SceauError):
    status = 429
    code = "too_many_attempts"

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class IntegrityFailure(SceauError):
    """Something stored or computed is not what it must be: a server-side failure."""

    status = 500
    code = "internal_error"
    message = "Erreur interne : réessayez plus tard."


class BadGateway(SceauError):
    status = 502
    code = "bad_gateway"


class ServiceUnavailable(SceauError):
    status = 503
    code = "unavailable"
    message = "Le service est momentanément indisponible : réessayez dans quelques instants."
