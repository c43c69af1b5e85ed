from __future__ import annotations

from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from sceau.core.errors import SceauError, TooManyAttempts
from sceau.identity import certificates, services
from sceau.identity.auth import start_holder_session
from sceau.identity.forms import AccessLoginForm, OfficerLoginForm
from sceau.identity.proxy import client_address as client_ip


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
    from sceau.identity.views_oidc import provider_logout_url

    at_provider = provider_logout_url(request)  # a creditor signed in with FranceConnect
    logout(request)
    return redirect(at_provider or "/")


# --- officers' and auditors' certificates (TLS client authentication through nginx) --------


def _home_for(user) -> str:
    if user.role == user.CREDITOR:
        return "/creances/"
    return "/etude/" if user.is_officer else "/"


def _certificate_refusal(
    request: HttpRequest, exc: certificates.CertificateRefused
) -> HttpResponse:
    return render(
        request,
        "identity/certificate.html",
        {"refusal": exc, "parsed": exc.parsed},
        status=exc.status,
    )


@require_http_methods(["GET", "POST"])
def certificate_login(request: HttpRequest) -> HttpResponse:
    """GET: what the presented certificate is (and a button); POST (CSRF): sign in with it."""
    verify_status, pem = certificates.presented(request)
    target = request.POST.get("next") or request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    if request.method == "POST":
        try:
            row = certificates.authenticate_certificate(verify_status, pem, client_ip(request))
        except certificates.CertificateRefused as exc:
            return _certificate_refusal(request, exc)
        certificates.bind_session(request, row.user, row.fingerprint)
        return redirect(target or _home_for(row.user))
    try:
        row = certificates.identify(verify_status, pem)
    except certificates.CertificateRefused as exc:
        return _certificate_refusal(request, exc)
    return render(request, "identity/certificate.html", {"row": row, "next": target})


@require_safe
def certificate_refused(request: HttpRequest) -> HttpResponse:
    """Where nginx sends the requests whose certificate it refused (error_page 495 496)."""
    verify_status, pem = certificates.presented(request)
    try:
        certificates.identify(verify_status, pem)
    except certificates.CertificateRefused as exc:
        if exc.proxy_status.startswith("FAILED"):
            certificates.journal_refusal(exc, client_ip(request))
        return _certificate_refusal(request, exc)
    return redirect("/connexion/certificat/")  # nothing refused: the ordinary page


@require_http_methods(["GET", "POST"])
def access_login(request: HttpRequest) -> HttpResponse:
    """/acces/: the identifier and code printed on an act, whoever holds them (a Mes Pièces
    recipient, a Petites créances debtor); the holder's type says where they land."""
    form = AccessLoginForm(request.POST or None)
    error, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            try:
                signed_in = services.sign_in_holder(
                    form.cleaned_data["identifier"], form.cleaned_data["code"], client_ip(request)
                )
            except SceauError as exc:  # the form shows why, next to the fields
                error, status = exc.message, exc.status
            else:
                start_holder_session(request, signed_in.credential)
                return redirect(signed_in.home_url)
        else:
            error, status = "Saisissez l'identifiant et le code figurant sur l'acte.", 400
    return render(
        request, "identity/access_login.html", {"form": form, "error": error}, status=status
    )
