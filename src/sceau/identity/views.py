from __future__ import annotations

from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from sceau.core.errors import SceauError, TooManyAttempts
from sceau.core.http import client_ip
from sceau.identity import services
from sceau.identity.forms import OfficerLoginForm


@require_http_methods(["GET", "POST"])
def officer_login(request: HttpRequest) -> HttpResponse:
    form = OfficerLoginForm(request.POST or None)
    status = 200
    error = None
    if request.method == "POST":
        if form.is_valid():
            try:
                user = services.authenticate_officer(
                    form.cleaned_data["email"],
                    form.cleaned_data["password"],
                    form.cleaned_data["otp"],
                    client_ip(request),
                )
            except SceauError as exc:
                error, status = exc.message, exc.status
                if isinstance(exc, TooManyAttempts):
                    status = 429
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                home = "/creances/" if user.role == user.CREDITOR else "/etude/"
                target = request.GET.get("next", "")
                if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                    target = home
                return redirect(target or home)
        else:
            status = 400
            error = "Remplissez les trois champs."
    return render(request, "identity/login.html", {"form": form, "error": error}, status=status)


@require_POST
def officer_logout(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("/")
