"""Authentication of officers (password + TOTP, API tokens) and of credential holders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pyotp
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from sceau.core.errors import AuthenticationFailed, Conflict, InvalidInput
from sceau.identity import codes, holders, tokens
from sceau.identity.events import IdentityEvent
from sceau.identity.models import AccessCredential, AccessSession, ApiToken, Office, User
from sceau.identity.principals import Principal
from sceau.identity.throttle import Throttle
from sceau.journal.services import Actor, record

API_TOKEN_KIND = "sct"  # noqa: S105 (a tag, not a secret)
ACCESS_TOKEN_KIND = "sca"  # noqa: S105
ACCESS_SESSION_ABSOLUTE = timedelta(hours=8)
CERTIFICATE_HINT = "Commissaires de justice et auditeurs : connectez-vous avec votre certificat."


def officer_actor(user: User) -> Actor:
    return Actor.officer(user)


def _same_reply() -> AuthenticationFailed:
    # ANSSI R14: one answer whatever was wrong (unknown email, password, second factor).
    return AuthenticationFailed()


# --- officers -------------------------------------------------------------------------------


def create_office(name: str, address: str, departments: str = "") -> Office:
    """An office; ``departments`` is its court-of-appeal area (Petites créances competence)."""
    with transaction.atomic():
        office = Office.objects.create(name=name, address=address, departments=departments)
        record(
            Actor.system(),
            IdentityEvent.OFFICE_CREATED,
            object_kind="office",
            object_id=office.pk,
            office_id=office.pk,
            details={"name": name, "departments": departments},
        )
    return office


def create_officer(
    office: Office | None, email: str, full_name: str, password: str, role: str = User.OFFICER
) -> User:
    with transaction.atomic():
        user = User.objects.create_user(
            email=email,
            password=password,
            full_name=full_name,
            office=office,
            role=role,
            totp_secret=pyotp.random_base32(),
        )
        record(
            Actor.system(),
            IdentityEvent(f"identity:{role}:created"),
            object_kind="user",
            object_id=user.pk,
            office_id=office.pk if office else None,
            details={"email": user.email},
        )
    return user


def reset_totp(user: User, actor: Actor | None = None) -> str:
    """Give ``user`` a new TOTP key (the old one stops working at once); return it, to be
    shown once. For an operator, after checking the person's identity out of band."""
    with transaction.atomic():
        user.totp_secret = pyotp.random_base32()
        user.save(update_fields=["totp_secret"])
        record(
            actor or Actor.system(),
            IdentityEvent(f"identity:{user.role}:totp_reset"),
            object_kind="user",
            object_id=user.pk,
            office_id=user.office_id,
        )
    return user.totp_secret


def record_login_succeeded(user: User, client_ip: str, **details: str) -> None:
    """Journal an account's sign-in (password+TOTP, or ``method=certificate``)."""
    # Each role its own actor and tag (creditors were journaled as officers signing in).
    record(
        Principal.for_user(user).actor(),
        IdentityEvent(f"identity:{user.role}:login_succeeded"),
        object_kind="user",
        object_id=user.pk,
        office_id=user.office_id,
        details={"ip": client_ip, **details},
    )


def _verify_totp(user: User, otp: str) -> bool:
    otp = (otp or "").replace(" ", "")
    if not otp.isdigit() or len(otp) != 6:
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now = timezone.now()
    for drift in (0, -1, 1):
        at = now + timedelta(seconds=30 * drift)
        if pyotp.utils.strings_equal(totp.at(at), otp):
            step = totp.timecode(at)
            # A code is accepted once: replaying it within its window is refused.
            return cache.add(f"sceau:totp:{user.pk}:{step}", 1, timeout=120)
    return False


def authenticate_officer(email: str, password: str, otp: str, client_ip: str) -> User:
    """Check email, password and TOTP of any account; journal the outcome; throttle failures.

    (Officers, auditors and creditors alike; a creditor must have verified their email.)
    """
    email = (email or "").strip().lower()
    keys = [("officer", email), ("ip", client_ip)]
    throttle = Throttle()
    throttle.check(keys)
    user = User.objects.filter(email=email, is_active=True).first()
    if user is not None and user.role == User.CREDITOR and user.email_verified_at is None:
        user = None  # same answer as any failure: nothing tells whether the account exists
    password_ok = user.check_password(password) if user else tokens.verify_secret(None, password)
    # Officers and auditors sign in with their certificate when password sign-in is off
    # (production); checked after the password, so that the answer and timing stay the same.
    method_ok = settings.CONFIG.officer_password_login or (
        user is not None and user.role == User.CREDITOR
    )
    if user and password_ok and _verify_totp(user, otp) and method_ok:
        throttle.success(keys[:1])
        record_login_succeeded(user, client_ip)
        return user
    throttle.failure(keys)
    details = {"ip": client_ip}
    if user and password_ok and not method_ok:
        details["reason"] = "password_login_disabled"  # in the journal only, never in the answer
    record(
        Actor.anonymous(),
        IdentityEvent.OFFICER_LOGIN_FAILED,
        object_kind="user",
        object_id=user.pk if user else "",
        office_id=user.office_id if user else None,
        details=details,
    )
    if not settings.CONFIG.officer_password_login:
        # Shown after every failure, whoever tried: it tells nothing about the account.
        raise AuthenticationFailed(f"{AuthenticationFailed.message} {CERTIFICATE_HINT}")
    raise _same_reply()


def issue_api_token(user: User, name: str) -> str:
    """Create a token for the office software; the raw value is returned once, never stored."""
    raw, prefix, digest = tokens.new_token(API_TOKEN_KIND)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, prefix=prefix, digest=digest)
        record(
            officer_actor(user),
            IdentityEvent.API_TOKEN_ADDED,
            object_kind="api_token",
            object_id=token.pk,
            office_id=user.office_id,
            details={"name": name},
        )
    return raw


def revoke_api_token(user: User, token_id: int) -> None:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token_id, user=user)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            record(
                officer_actor(user),
                IdentityEvent.API_TOKEN_REVOKED,
                object_kind="api_token",
                object_id=token.pk,
                office_id=user.office_id,
            )


def user_for_api_token(raw: str) -> User | None:
    prefix = tokens.split_prefix(raw or "", API_TOKEN_KIND)
    if prefix is None:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    if not tokens.digest_matches(raw, token.digest):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# --- credential holders (recipients of a served act, later debtors) ------------------------


@dataclass(frozen=True)
class IssuedCredential:
    identifier: str
    code: str


def issue_credential(holder_kind: str, holder_id: int) -> tuple[AccessCredential, IssuedCredential]:
    """Issue (or re-issue, revoking the previous code) the credential of one holder.

    The caller journals it, inside its own transaction, with the dossier it concerns.
    """
    code = codes.generate_code()
    now = timezone.now()
    credential = (
        AccessCredential.objects.select_for_update()
        .filter(holder_kind=holder_kind, holder_id=holder_id)
        .first()
    )
    if credential is None:
        identifier = codes.generate_identifier()
        while AccessCredential.objects.filter(identifier=identifier).exists():
            identifier = codes.generate_identifier()
        credential = AccessCredential(
            identifier=identifier, holder_kind=holder_kind, holder_id=holder_id
        )
    credential.code_hash = tokens.hash_secret(codes.normalize_code(code))
    credential.password_hash = ""  # a re-issue revokes everything the holder signed in with
    credential.issued_at = now
    credential.revoked_at = None
    credential.save()
    # Re-issuing ends every open session that was opened with the old code.
    AccessSession.objects.filter(credential=credential, ended_at=None).update(ended_at=now)
    return credential, IssuedCredential(credential.identifier, code)


def verify_credential(identifier: str, code: str, client_ip: str) -> AccessCredential:
    """Return the credential for a correct identifier and code (or the holder's password).

    Raises TooManyAttempts while throttled, AuthenticationFailed otherwise; a failure is
    journaled. A mistyped code (wrong length, a character codes never use, a wrong check
    character) is reported as such, to every identifier alike: the answer depends only on what
    was typed, never on whether the identifier exists or has a password (ANSSI R14). Both
    checks always run (a dummy Argon2 hash stands in), so timing says nothing either.
    """
    try:
        ident = codes.normalize_identifier(identifier)
    except codes.InvalidIdentifier:
        ident = (identifier or "").strip().upper()[:32]
    keys = [("credential", ident), ("ip", client_ip)]
    throttle = Throttle()
    throttle.check(keys)
    credential = AccessCredential.objects.filter(identifier=ident, revoked_at=None).first()
    typo = None
    try:
        compact = codes.normalize_code(code)
    except codes.InvalidCode as exc:
        compact, typo = None, str(exc)
    code_ok = tokens.verify_secret(
        credential.code_hash if credential and compact else None, compact or "-"
    )
    password_ok = tokens.verify_secret(
        credential.password_hash if credential and credential.password_hash else None,
        code or "-",
    )
    if credential is not None and (code_ok or password_ok):
        throttle.success(keys[:1])
        return credential
    throttle.failure(keys)
    record(
        Actor.anonymous(),
        IdentityEvent.CREDENTIAL_LOGIN_FAILED,
        object_kind="credential",
        object_id=credential.pk if credential else "",
        details={"ip": client_ip},
    )
    if typo is not None:
        raise AuthenticationFailed(
            f"{typo} Si vous avez choisi un mot de passe, vérifiez-le.", code="invalid_code_format"
        )
    raise _same_reply()


@dataclass(frozen=True)
class HolderSignIn:
    """A credential holder who just signed in: their credential, holder type and holder."""

    credential: AccessCredential
    kind: holders.CredentialHolderType
    holder: object

    @property
    def home_url(self) -> str:
        return self.kind.home_url(self.holder)


def sign_in_holder(identifier: str, code: str, client_ip: str) -> HolderSignIn:
    """Sign in with the identifier and code (or chosen password) printed on an act, whoever
    holds them: the holder's own type journals the sign-in and does what it means (a first
    access is noticed; a debtor's is their consent)."""
    credential = verify_credential(identifier, code, client_ip)
    kind = holders.holder_type(credential.holder_kind)
    holder = kind.get(credential.holder_id)
    if holder is None:  # the case was deleted since the code was printed
        raise AuthenticationFailed()
    kind.on_sign_in(holder, client_ip=client_ip, via="code")
    return HolderSignIn(credential, kind, holder)


def holder_actor(credential: AccessCredential) -> Actor:
    """The journal actor of a credential's holder, from its registered holder type."""
    kind = holders.holder_type(credential.holder_kind)
    holder = kind.get(credential.holder_id)
    if holder is None:  # its case was deleted: still name the kind of holder, without a name
        return Actor(kind.actor_kind, str(credential.holder_id))
    return kind.actor(holder)


def set_holder_password(credential: AccessCredential, password: str) -> None:
    """Let a holder (a debtor) sign in later with a password of their own instead of the code."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), code="weak_password") from None
    with transaction.atomic():
        credential.password_hash = tokens.hash_secret(password)
        credential.save(update_fields=["password_hash"])
        record(
            holder_actor(credential),
            IdentityEvent.CREDENTIAL_PASSWORD_SET,
            object_kind="credential",
            object_id=credential.pk,
        )


def open_access_session(credential: AccessCredential) -> str:
    raw, prefix, digest = tokens.new_token(ACCESS_TOKEN_KIND)
    now = timezone.now()
    AccessSession.objects.create(
        credential=credential, prefix=prefix, digest=digest, created_at=now, last_seen_at=now
    )
    return raw


def credential_for_access_token(raw: str) -> AccessCredential | None:
    prefix = tokens.split_prefix(raw or "", ACCESS_TOKEN_KIND)
    if prefix is None:
        return None
    session = AccessSession.objects.select_related("credential").filter(prefix=prefix).first()
    if session is None or session.ended_at is not None:
        return None
    if not tokens.digest_matches(raw, session.digest):
        return None
    now = timezone.now()
    idle = timedelta(seconds=settings.CONFIG.recipient_session_seconds)
    if now - session.last_seen_at > idle or now - session.created_at > ACCESS_SESSION_ABSOLUTE:
        AccessSession.objects.filter(pk=session.pk).update(ended_at=now)
        return None
    if session.credential.revoked_at is not None:
        return None
    AccessSession.objects.filter(pk=session.pk).update(last_seen_at=now)
    return session.credential


def end_access_session(raw: str) -> None:
    prefix = tokens.split_prefix(raw or "", ACCESS_TOKEN_KIND)
    if prefix:
        AccessSession.objects.filter(prefix=prefix, ended_at=None).update(ended_at=timezone.now())


# --- creditors' accounts -------------------------------------------------------------------

EMAIL_TOKEN_SALT = "sceau.identity.email-verification"  # noqa: S105 (a salt name)
EMAIL_TOKEN_MAX_AGE = 48 * 3600


def register_creditor(email: str, full_name: str, password: str) -> tuple[User, str]:
    """Create an unverified creditor account; return it and the email verification token.

    The token is signed (Django signing, salted, dated) and valid 48 hours; the account cannot
    sign in before the address is verified.
    """
    from django.contrib.auth.password_validation import validate_password
    from django.core import signing
    from django.core.exceptions import ValidationError

    email = (email or "").strip().lower()
    if not email or "@" not in email or not (full_name or "").strip():
        raise InvalidInput("Indiquez votre nom et une adresse électronique valide.")
    try:
        validate_password(password)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), code="weak_password") from None
    if User.objects.filter(email=email).exists():
        raise Conflict(
            "Un compte existe déjà pour cette adresse : connectez-vous.", code="account_exists"
        )
    user = create_officer(None, email, full_name.strip(), password, role=User.CREDITOR)
    token = signing.dumps({"user": user.pk, "email": user.email}, salt=EMAIL_TOKEN_SALT)
    return user, token


def verify_email(token: str) -> User:
    """Activate the account of a verification link; ``user.just_verified`` says whether this
    call did it (the first time) or the address was already verified."""
    from django.core import signing

    try:
        data = signing.loads(token, salt=EMAIL_TOKEN_SALT, max_age=EMAIL_TOKEN_MAX_AGE)
    except signing.BadSignature:
        raise AuthenticationFailed(
            "Ce lien de vérification est invalide ou a expiré : inscrivez-vous à nouveau.",
            code="bad_verification_link",
        ) from None
    user = User.objects.filter(pk=data["user"], email=data["email"]).first()
    if user is None:
        raise AuthenticationFailed("Compte introuvable.", code="bad_verification_link")
    user.just_verified = False
    if user.email_verified_at is None:
        user.just_verified = True
        with transaction.atomic():
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
            record(
                Actor.creditor(user),
                IdentityEvent.CREDITOR_VERIFIED,
                object_kind="user",
                object_id=user.pk,
            )
    return user
