"""Small helpers for the server-rendered pages."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from sceau.core.errors import DetailedError, SceauError, TooManyAttempts
from sceau.core.http import error_status


def render_error(request: HttpRequest, exc: Exception, back: str | None = None) -> HttpResponse:
    status = error_status(exc)
    if back is None:
        referer = request.headers.get("Referer", "")
        safe = url_has_allowed_host_and_scheme(referer, {request.get_host()})
        back = referer if safe else "/"
    response = render(
        request,
        "sceau/error.html",
        {
            "message": getattr(exc, "message", str(exc)),
            "status": status,
            "back": back,
        },
        status=status,
    )
    if isinstance(exc, TooManyAttempts):
        response["Retry-After"] = str(exc.retry_after)
    return response


def domain_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Render a domain error as a page with its status and message, never a traceback."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (SceauError, DetailedError) as exc:
            return render_error(request, exc)

    return wrapper


def officer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or not getattr(user, "is_officer", False):
            return redirect(f"/connexion/?next={request.path}")
        return view(request, *args, **kwargs)

    return wrapper
