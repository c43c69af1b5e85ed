"""Officers' and auditors' X.509 authentication certificates.

nginx terminates TLS with ``ssl_verify_client optional``: it checks the chain to the
profession's CA, the validity dates and the CRL, and passes its verdict
(``X-SSL-Client-Verify``: ``SUCCESS``, ``NONE`` or ``FAILED:reason``) and the certificate
(``X-SSL-Client-Cert``, the URL-escaped PEM of ``$ssl_client_escaped_cert``) to Sceau, which
believes them only from ``SCEAU_TRUSTED_PROXIES`` (see :mod:`sceau.identity.proxy`).

Sceau then maps the certificate to its holder **by SHA-256 fingerprint only**, and checks the
validity dates and its own revocation again, so that a proxy misconfiguration (a CA bundle too
wide, a stale CRL) cannot by itself let anyone in. The issuer and serial number are never
enough: a certificate re-issued with the same issuer and serial but another key (a CA
mistake, or a forgery by a compromised CA) has another fingerprint and is refused; such a
collision with a registered certificate is journaled (``serial_collision``). The unique
(issuer, serial) constraint of :class:`OfficerCertificate` keeps the registry unambiguous and
lets CRL entries (which name serials) be matched to registered certificates.

A renewed certificate is registered in advance with its PEM file (``sceau accounts
add-certificate``); it is accepted from its ``notBefore`` on.

A web session opened with a certificate is bound to it: every later request of that session
must present, through the trusted proxy, the same certificate, still valid and not revoked,
or the session ends (:class:`CertificateSessionMiddleware`).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from sceau.core.errors import Conflict, NotFound, SceauError
from sceau.identity.events import IdentityEvent
from sceau.identity.models import OfficerCertificate, User
from sceau.identity.proxy import CLIENT_CERT, CLIENT_VERIFY, client_address, proxy_header
from sceau.identity.services import officer_actor, record_login_succeeded
from sceau.journal.services import Actor, record

SESSION_FINGERPRINT_KEY = "sceau_certificate_fingerprint"
REFUSAL_JOURNAL_SECONDS = 60
MAX_NAME_LENGTH = 500  # OfficerCertificate.issuer / .subject

# OpenSSL's verification messages (as nginx passes them after FAILED:) that have a reason
# of their own; any other is "proxy_failed", shown with nginx's words.
_PROXY_REASONS = {
    "certificate has expired": "expired",
    "certificate is not yet valid": "not_yet_valid",
    "certificate revoked": "revoked",
}
_UNKNOWN_ISSUER = (
    "unable to get local issuer certificate",
    "unable to verify the first certificate",
    "self-signed certificate",
    "self signed certificate",
    "self-signed certificate in certificate chain",
    "self signed certificate in certificate chain",
    "unable to get issuer certificate",
)
_SERVER_SIDE = ("crl has expired", "unable to get certificate crl", "crl is not yet valid")

_MESSAGES = {
    "no_certificate": (
        "Aucun certificat d'authentification n'a été présenté. Insérez votre carte ou "
        "installez votre certificat dans le navigateur, puis réessayez : le navigateur doit "
        "vous proposer de le choisir (fermez-le et rouvrez-le si vous avez annulé ce choix)."
    ),
    "proxy_failed": (
        "Votre certificat n'a pas pu être vérifié (motif : {detail}). Vérifiez que vous "
        "présentez votre certificat d'authentification de commissaire de justice ; si le "
        "problème persiste, transmettez ce motif à l'administrateur de votre étude."
    ),
    "untrusted_issuer": (
        "Votre certificat n'a pas été émis par une autorité de certification reconnue par "
        "Sceau (motif : {detail}). Présentez votre certificat d'authentification de commissaire "
        "de justice, ou demandez à l'administrateur de votre étude quelle autorité est acceptée."
    ),
    "server_side": (
        "La vérification des certificats est momentanément impossible (motif : {detail}). "
        "Ce n'est pas dû à votre certificat : prévenez l'administrateur de Sceau et réessayez "
        "plus tard."
    ),
    "unreadable": (
        "Le certificat transmis est illisible. Réessayez ; si cela persiste, prévenez "
        "l'administrateur de Sceau."
    ),
    "unknown": (
        "Ce certificat n'est pas enregistré dans Sceau. Donnez son empreinte SHA-256 "
        "(ci-dessous) à l'administrateur de votre étude pour qu'il l'enregistre, puis "
        "réessayez."
    ),
    "expired": (
        "Ce certificat a expiré{when}. Présentez votre nouveau certificat (faites-le "
        "enregistrer par l'administrateur de votre étude s'il ne l'est pas encore), ou "
        "demandez-en un à votre autorité de certification."
    ),
    "not_yet_valid": (
        "Ce certificat n'est pas encore valable{when}. Utilisez votre certificat actuel "
        "jusqu'à cette date."
    ),
    "revoked": (
        "Ce certificat a été révoqué : il ne permet plus de se connecter. Présentez votre "
        "nouveau certificat, ou contactez l'administrateur de votre étude."
    ),
    "inactive": (
        "Ce certificat est enregistré pour un compte qui n'est pas ou plus actif. Contactez "
        "l'administrateur de votre étude."
    ),
    "changed": (
        "Le certificat présenté n'est plus celui avec lequel vous vous êtes connecté : "
        "reconnectez-vous."
    ),
}


class CertificateError(SceauError):
    """A certificate cannot be registered or revoked (operator input)."""

    code = "certificate_invalid"


@dataclass(frozen=True)
class ParsedCertificate:
    """What Sceau keeps of an X.509 certificate."""

    certificate: x509.Certificate
    fingerprint: str  # SHA-256 of the DER, lowercase hex
    issuer: str  # RFC 4514
    serial: str  # lowercase hex
    subject: str  # RFC 4514
    not_before: datetime
    not_after: datetime


class CertificateRefused(SceauError):
    """A certificate sign-in refused; ``reason`` is one of the keys of the messages above."""

    status = 403

    def __init__(
        self,
        reason: str,
        *,
        parsed: ParsedCertificate | None = None,
        registered: OfficerCertificate | None = None,
        proxy_status: str = "",
        detail: str = "",
    ) -> None:
        self.reason = reason
        self.parsed = parsed
        self.registered = registered
        self.proxy_status = proxy_status
        when = ""
        if parsed is not None and reason == "expired":
            when = f" le {_paris(parsed.not_after)}"
        elif parsed is not None and reason == "not_yet_valid":
            when = f" (il le sera le {_paris(parsed.not_before)})"
        nginx_words = proxy_status.partition(":")[2].strip() or proxy_status or "inconnu"
        message = _MESSAGES[reason].format(detail=nginx_words[:200], when=when)
        super().__init__(message, code=f"certificate_{reason}", detail=detail)


def _paris(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y à %H:%M")


# --- parsing -------------------------------------------------------------------------------


def parse_certificate(data: str | bytes) -> ParsedCertificate:
    """Parse one certificate: PEM, URL-escaped PEM (nginx's ``$ssl_client_escaped_cert``) or
    DER. Raise :class:`CertificateRefused` (``unreadable``) otherwise."""
    if isinstance(data, str):
        data = urllib.parse.unquote(data.strip()).encode("latin-1", "replace")
    data = data.strip()
    try:
        if data.startswith(b"-----BEGIN"):
            cert = x509.load_pem_x509_certificate(data)
        else:
            cert = x509.load_der_x509_certificate(data)
        return ParsedCertificate(
            certificate=cert,
            fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
            issuer=cert.issuer.rfc4514_string(),
            serial=format(cert.serial_number, "x"),
            subject=cert.subject.rfc4514_string(),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
        )
    except ValueError as exc:  # cryptography's parse errors are ValueErrors
        raise CertificateRefused("unreadable", detail=str(exc)[:200]) from None


def normalize_fingerprint(text: str) -> str:
    """``AB:CD:...`` (``openssl x509 -fingerprint -sha256``) or hex -> 64 lowercase hex digits,
    or "" when it is not a SHA-256 fingerprint."""
    compact = "".join(ch for ch in (text or "") if ch not in ": \t\n").lower()
    if len(compact) != 64 or any(ch not in "0123456789abcdef" for ch in compact):
        return ""
    return compact


def _may_use_certificates(user: User) -> bool:
    return user.is_active and (user.is_officer or user.role == User.AUDITOR)


# --- mapping a presented certificate to its holder -----------------------------------------


def identify(
    verify_status: str, escaped_pem: str, *, now: datetime | None = None
) -> OfficerCertificate:
    """The registered certificate (with its ``user``) presented through the trusted proxy.

    ``verify_status`` is nginx's ``$ssl_client_verify``; ``escaped_pem`` its
    ``$ssl_client_escaped_cert``. Raise :class:`CertificateRefused` with the reason otherwise.
    """
    status = (verify_status or "").strip()
    if status.startswith("FAILED"):
        nginx_reason = status.partition(":")[2].strip().lower()
        parsed = None
        if escaped_pem:
            try:
                parsed = parse_certificate(escaped_pem)
            except CertificateRefused:
                parsed = None
        reason = _PROXY_REASONS.get(nginx_reason, "proxy_failed")
        if nginx_reason in _UNKNOWN_ISSUER:
            reason = "untrusted_issuer"
        elif nginx_reason in _SERVER_SIDE:
            reason = "server_side"
        raise CertificateRefused(reason, parsed=parsed, proxy_status=status[:200])
    if not status or status == "NONE" or not escaped_pem:
        raise CertificateRefused("no_certificate", proxy_status=status[:200])
    if status != "SUCCESS":
        raise CertificateRefused("proxy_failed", proxy_status=status[:200])
    parsed = parse_certificate(escaped_pem)
    now = now or timezone.now()
    if now < parsed.not_before:
        raise CertificateRefused("not_yet_valid", parsed=parsed)
    if now > parsed.not_after:
        raise CertificateRefused("expired", parsed=parsed)
    row = (
        OfficerCertificate.objects.select_related("user")
        .filter(fingerprint=parsed.fingerprint)
        .first()
    )
    if row is None:
        # Never admitted by issuer + serial: see the module docstring.
        twin = OfficerCertificate.objects.filter(issuer=parsed.issuer, serial=parsed.serial)
        detail = "serial_collision" if twin.exists() else ""
        raise CertificateRefused("unknown", parsed=parsed, detail=detail)
    if row.revoked_at is not None:
        raise CertificateRefused("revoked", parsed=parsed, registered=row)
    if not _may_use_certificates(row.user):
        raise CertificateRefused("inactive", parsed=parsed, registered=row)
    return row


def officer_for_certificate(
    escaped_pem: str, verify_status: str, *, now: datetime | None = None
) -> User:
    """The officer or auditor holding the presented certificate; raise CertificateRefused."""
    return identify(verify_status, escaped_pem, now=now).user


def presented(request: HttpRequest) -> tuple[str, str]:
    """(verify status, escaped PEM) given by the trusted proxy; ("", "") from anyone else."""
    return proxy_header(request, CLIENT_VERIFY), proxy_header(request, CLIENT_CERT)


def _refusal_details(exc: CertificateRefused, client_ip: str) -> dict:
    details = {"ip": client_ip, "method": "certificate", "reason": exc.reason}
    if exc.parsed is not None:
        details["fingerprint"] = exc.parsed.fingerprint
        details["subject"] = exc.parsed.subject[:200]
    if exc.proxy_status:
        details["proxy_status"] = exc.proxy_status
    if exc.detail:
        details["detail"] = exc.detail
    return details


def journal_refusal(exc: CertificateRefused, client_ip: str) -> bool:
    """Journal a refused certificate sign-in, at most once a minute per address, reason and
    certificate (a certificate cannot be guessed, so nothing is throttled, but a loop must not
    fill the journal). Return whether an entry was written."""
    fingerprint = exc.parsed.fingerprint if exc.parsed is not None else "-"
    key = f"sceau:certificate-refused:{client_ip}:{exc.reason}:{fingerprint}"
    if not cache.add(key, 1, timeout=REFUSAL_JOURNAL_SECONDS):
        return False
    user = exc.registered.user if exc.registered is not None else None
    record(
        Actor.anonymous(),
        IdentityEvent.OFFICER_LOGIN_FAILED,
        object_kind="user" if user else "certificate",
        object_id=user.pk if user else fingerprint,
        office_id=user.office_id if user else None,
        details=_refusal_details(exc, client_ip),
    )
    return True


def authenticate_certificate(
    verify_status: str, escaped_pem: str, client_ip: str
) -> OfficerCertificate:
    """Sign-in by certificate: the registered certificate (``.user`` is the holder), with the
    success journaled; or CertificateRefused, with the refusal journaled (see
    :func:`journal_refusal`)."""
    try:
        row = identify(verify_status, escaped_pem)
    except CertificateRefused as exc:
        journal_refusal(exc, client_ip)
        raise
    record_login_succeeded(row.user, client_ip, method="certificate", fingerprint=row.fingerprint)
    return row


# --- registry (operators: `sceau accounts add-certificate / revoke-certificate`) -----------


def register_certificate(
    user: User, pem: str | bytes, *, actor: Actor | None = None
) -> OfficerCertificate:
    """Register ``user``'s authentication certificate (PEM or DER); journaled.

    Refused: a user who is not an active officer or auditor, an unreadable, expired or
    non-client-authentication certificate, one already registered, or another certificate with
    the same issuer and serial number. A certificate not yet valid (a renewal) is accepted.
    """
    if not _may_use_certificates(user):
        raise CertificateError(
            f"{user.email} n'est pas un commissaire de justice (rattaché à une étude) ni un "
            "auditeur actif : seuls eux se connectent par certificat."
        )
    try:
        parsed = parse_certificate(pem)
    except CertificateRefused:
        raise CertificateError(
            "Ce fichier n'est pas un certificat X.509 lisible (PEM ou DER) : vérifiez-le."
        ) from None
    if parsed.not_after < timezone.now():
        raise CertificateError(
            f"Ce certificat a expiré le {_paris(parsed.not_after)} : enregistrez le nouveau."
        )
    try:
        eku = parsed.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        eku = None
    if eku is not None and not {
        ExtendedKeyUsageOID.CLIENT_AUTH,
        ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
    }.intersection(eku):
        raise CertificateError(
            "Ce certificat ne permet pas l'authentification d'un client TLS (usage étendu "
            "clientAuth absent) : enregistrez le certificat d'authentification, pas celui de "
            "signature."
        )
    if len(parsed.issuer) > MAX_NAME_LENGTH or len(parsed.subject) > MAX_NAME_LENGTH:
        raise CertificateError("Le nom de l'émetteur ou du titulaire dépasse 500 caractères.")
    existing = OfficerCertificate.objects.select_related("user").filter(
        fingerprint=parsed.fingerprint
    )
    if existing.exists():
        raise Conflict(
            f"Ce certificat est déjà enregistré pour {existing[0].user.email}.",
            code="certificate_exists",
        )
    if OfficerCertificate.objects.filter(issuer=parsed.issuer, serial=parsed.serial).exists():
        raise Conflict(
            "Un autre certificat du même émetteur porte déjà ce numéro de série : un émetteur "
            "ne doit jamais réutiliser un numéro. Vérifiez le fichier auprès de l'autorité.",
            code="certificate_serial_reused",
        )
    try:
        with transaction.atomic():
            row = OfficerCertificate.objects.create(
                user=user,
                fingerprint=parsed.fingerprint,
                issuer=parsed.issuer,
                serial=parsed.serial,
                subject=parsed.subject,
                not_before=parsed.not_before,
                not_after=parsed.not_after,
            )
            record(
                actor or Actor.system(),
                IdentityEvent.CERTIFICATE_REGISTERED,
                object_kind="certificate",
                object_id=row.pk,
                office_id=user.office_id,
                details={
                    "user": user.pk,
                    "fingerprint": row.fingerprint,
                    "issuer": row.issuer[:200],
                    "serial": row.serial,
                    "subject": row.subject[:200],
                    "not_after": row.not_after.isoformat(),
                },
            )
    except IntegrityError:  # registered concurrently
        raise Conflict(
            "Ce certificat vient d'être enregistré.", code="certificate_exists"
        ) from None
    return row


def revoke_certificate(fingerprint: str, *, actor: Actor | None = None) -> OfficerCertificate:
    """Revoke a registered certificate in Sceau (idempotent; journaled once). Sessions opened
    with it end at their next request."""
    normalized = normalize_fingerprint(fingerprint)
    if not normalized:
        raise CertificateError(
            "Empreinte invalide : donnez les 64 chiffres hexadécimaux du SHA-256 "
            "(`sceau accounts list` les affiche).",
            code="bad_fingerprint",
        )
    with transaction.atomic():
        row = (
            OfficerCertificate.objects.select_for_update()
            .select_related("user")
            .filter(fingerprint=normalized)
            .first()
        )
        if row is None:
            raise NotFound(f"Aucun certificat enregistré n'a l'empreinte {normalized}.")
        if row.revoked_at is None:
            row.revoked_at = timezone.now()
            row.save(update_fields=["revoked_at"])
            record(
                actor or Actor.system(),
                IdentityEvent.CERTIFICATE_REVOKED,
                object_kind="certificate",
                object_id=row.pk,
                office_id=row.user.office_id,
                details={"user": row.user_id, "fingerprint": row.fingerprint},
            )
    return row


# --- web sessions bound to a certificate ---------------------------------------------------


def bind_session(request: HttpRequest, user: User, fingerprint: str) -> None:
    """Sign ``user`` in on this browser (new session id, nothing kept from before) and bind the
    session to the certificate's fingerprint."""
    from django.contrib.auth import login

    request.session.flush()
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_FINGERPRINT_KEY] = fingerprint


class CertificateSessionMiddleware:
    """End a certificate session whose request does not present the same valid certificate.

    Also ends an officer's or auditor's session that was not opened with a certificate when
    ``SCEAU_OFFICER_PASSWORD_LOGIN`` is off. Place after AuthenticationMiddleware and
    MessageMiddleware (the login page then says why).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and user is not None and user.is_authenticated:
            bound = session.get(SESSION_FINGERPRINT_KEY)
            if bound:
                try:
                    row = identify(*presented(request))
                    if row.fingerprint != bound or row.user_id != user.pk:
                        raise CertificateRefused("changed", parsed=None)
                except CertificateRefused as exc:
                    return self._end(request, user, exc.reason, exc.message)
            elif not settings.CONFIG.officer_password_login and user.role in (
                User.OFFICER,
                User.AUDITOR,
            ):
                return self._end(
                    request,
                    user,
                    "not_certificate_session",
                    "Commissaires de justice et auditeurs : connectez-vous avec votre certificat.",
                )
        return self.get_response(request)

    @staticmethod
    def _end(request: HttpRequest, user: User, reason: str, message: str) -> HttpResponse:
        record(
            officer_actor(user),
            IdentityEvent.OFFICER_SESSION_ENDED,
            object_kind="user",
            object_id=user.pk,
            office_id=user.office_id,
            details={"ip": client_address(request), "reason": reason},
        )
        logout(request)
        messages.warning(request, f"Votre session a été fermée. {message}")
        return redirect("/connexion/")
