"""Small helpers for the server-rendered pages."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from sceau.core.errors import SceauError, TooManyAttempts


def render_error(request: HttpRequest, exc: SceauError, back: str | None = None) -> HttpResponse:
    """The error page: the error's status and message, a safe link back, Retry-After."""
    status = exc.status
    if back is None:
        referer = request.headers.get("Referer", "")
        safe = url_has_allowed_host_and_scheme(referer, {request.get_host()})
        back = referer if safe else "/"
    response = render(
        request,
        "sceau/error.html",
        {
            "message": exc.message,
            "status": status,
            "back": back,
        },
        status=status,
    )
    if isinstance(exc, TooManyAttempts):
        response["Retry-After"] = str(exc.retry_after)
    return response


class ErrorPageMiddleware:
    """The one page handler: a domain error escaping a view becomes the error page with its
    status and message, never a traceback (the API has its own handler, in api/v1.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, SceauError):
            return None
        if request.headers.get("Accept", "").startswith("application/json"):  # page scripts
            response = JsonResponse({"error": exc.code, "message": exc.message}, status=exc.status)
            if isinstance(exc, TooManyAttempts):
                response["Retry-After"] = str(exc.retry_after)
            return response
        return render_error(request, exc, back=getattr(request, ERROR_BACK, None))


ERROR_BACK = "_sceau_error_back"


def error_back(url: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Where the error page of this view links back to (else: a safe Referer, or /)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            setattr(request, ERROR_BACK, url)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def officer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or not getattr(user, "is_officer", False):
            return redirect(f"/connexion/?next={request.path}")
        return view(request, *args, **kwargs)

    return wrapper
