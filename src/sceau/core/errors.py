"""The root of Sceau's error hierarchy.

Each app defines its own subclasses. Every error carries a French ``message`` telling the user
what to do next, an English ``code`` for programs, and the HTTP ``status`` the API and pages use.
"""

from __future__ import annotations


class SceauError(Exception):
    status: int = 400
    code: str = "bad_request"
    message: str = "La demande n'a pas pu être traitée."

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        super().__init__(self.message)


class NotFound(SceauError):
    status = 404
    code = "not_found"
    message = "Cet élément n'existe pas ou ne vous est pas accessible."


class PermissionDenied(SceauError):
    status = 403
    code = "forbidden"
    message = "Vous n'avez pas le droit d'effectuer cette opération."


class Conflict(SceauError):
    status = 409
    code = "conflict"


class Gone(SceauError):
    status = 410
    code = "gone"


class TooManyAttempts(SceauError):
    status = 429
    code = "too_many_attempts"

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class AuthenticationFailed(SceauError):
    status = 401
    code = "authentication_failed"
    message = "Identifiants incorrects. Vérifiez-les et réessayez."


class DetailedError(Exception):
    """Base of the errors of Sceau's Django-free cores (vault, notary).

    ``message`` is French, shown to users, and says what to do next; ``code`` is a short English
    slug for programs; ``detail`` is optional English text for logs, never shown to users.
    """

    code: str = "error"
    default_message: str = "Une erreur est survenue : réessayez dans quelques instants."

    def __init__(self, message: str | None = None, *, detail: str | None = None) -> None:
        self.message: str = message or self.default_message
        self.detail: str | None = detail
        super().__init__(self.message)

    def __str__(self) -> str:
        if self.detail:
            return f"{self.message} [{self.code}: {self.detail}]"
        return self.message
