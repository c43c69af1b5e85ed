"""The JSON API, version 1, mounted at /api/v1/ (OpenAPI at /api/v1/openapi.json)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from sceau.core.errors import SceauError, TooManyAttempts

api = NinjaAPI(
    title="Sceau API",
    version="1",
    description=(
        "API des études pour Mes Pièces (dépôt, destinataires, identifiants, signification, "
        "prolongation, consultations, journal) et accès des destinataires. Authentification : "
        "`Authorization: Bearer <jeton>`. Les erreurs ont la forme `{error, message}`."
    ),
    urls_namespace="api-v1",
)


def _json_error(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    return api.create_response(request, {"error": code, "message": message}, status=status)


@api.exception_handler(SceauError)
def _sceau_error(request: HttpRequest, exc: SceauError) -> HttpResponse:
    """Every domain error of every app (a refused file, a wrong PIN, an authority down...)."""
    response = _json_error(request, exc.status, exc.code, exc.message)
    if isinstance(exc, TooManyAttempts):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = []
    for err in exc.errors:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "payload"))
        problems.append(f"{where or 'corps'} : {err.get('msg', 'valeur invalide')}")
    return api.create_response(
        request,
        {
            "error": "invalid_input",
            "message": "Données invalides, corrigez : " + " ; ".join(problems),
        },
        status=400,
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _json_error(
        request,
        401,
        "unauthenticated",
        "Jeton absent, invalide, expiré ou révoqué : envoyez `Authorization: Bearer <jeton>` "
        "avec un jeton valide (connectez-vous à nouveau si nécessaire).",
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _json_error(request, 404, "not_found", "Cette ressource n'existe pas.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _json_error(request, exc.status_code, "http_error", str(exc))


from sceau.api import access, creances, journal, notary, pieces  # noqa: E402

api.add_router("/", pieces.router)
api.add_router("/access", access.router)
api.add_router("/journal", journal.router)
api.add_router("/", notary.router)
api.add_router("/", creances.router)
