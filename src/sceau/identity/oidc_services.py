"""Linking OpenID Connect identities (FranceConnect-compatible) to parties, and signing in
with them.

A *party* is a credential holder (a Mes Pièces recipient or a Petites créances debtor, who
signed in first with the identifier and code printed on their act) or a creditor's account.
A link is valid only while its party still may sign in: the credential is not revoked and was
not re-issued after the link was made (a re-issue revokes everything the holder signed in
with, linked identities included), the account is an active, verified creditor.

Every link, unlink, sign-in and refusal is journaled in the transaction of the change; the
journal gets the issuer and the provider's subject (``sub``), never a token or code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from sceau.core.errors import Conflict, PermissionDenied
from sceau.identity import holders
from sceau.identity.events import IdentityEvent
from sceau.identity.models import AccessCredential, OidcIdentity, User
from sceau.identity.oidc import VerifiedIdentity
from sceau.journal.cases import CaseRef
from sceau.journal.services import Actor, record


@dataclass(frozen=True)
class Party:
    """Who a linked identity lets in: exactly one of ``credential`` and ``user``."""

    credential: AccessCredential | None = None
    user: User | None = None

    @property
    def key(self) -> str:
        if self.credential is not None:
            return f"credential:{self.credential.pk}"
        return f"user:{self.user.pk}"

    @property
    def object_kind(self) -> str:
        return "credential" if self.credential is not None else "user"

    @property
    def object_id(self) -> int:
        return self.credential.pk if self.credential is not None else self.user.pk

    def holder(self) -> tuple[holders.CredentialHolderType, Any]:
        kind = holders.holder_type(self.credential.holder_kind)
        holder = kind.get(self.credential.holder_id)
        if holder is None:
            raise PermissionDenied("Cette identité ne donne plus accès à ce dossier.")
        return kind, holder

    def actor(self) -> Actor:
        if self.user is not None:
            return Actor.creditor(self.user)
        kind, holder = self.holder()
        return kind.actor(holder)

    def scope(self) -> tuple[int | None, CaseRef | None]:
        """(office, case) of the journal entries about this party."""
        if self.user is not None:
            return None, None
        kind, holder = self.holder()
        return kind.office_id(holder), kind.scope(holder)

    def label(self) -> str:
        """What the choice page shows (French)."""
        if self.user is not None:
            return f"Compte créancier (Petites créances) : {self.user.email}"
        kind, holder = self.holder()
        return kind.label(holder)

    def home(self) -> str:
        if self.user is not None:
            return "/creances/"
        kind, holder = self.holder()
        return kind.home_url(holder)


def may_link(user: User) -> bool:
    """Accounts that may link an identity: verified creditors only (never officers)."""
    return user.is_active and user.role == User.CREDITOR and user.email_verified_at is not None


def _party_of(link: OidcIdentity) -> Party:
    return Party(credential=link.credential) if link.credential_id else Party(user=link.user)


def link_problem(link: OidcIdentity) -> str | None:
    """Why this link no longer lets anyone in (an English slug), or None if it does."""
    if link.credential_id is not None:
        credential = link.credential
        if credential.revoked_at is not None:
            return "credential_revoked"
        if link.linked_at < credential.issued_at:
            return "credential_reissued"
        return None
    user = link.user
    if not user.is_active:
        return "account_inactive"
    if not may_link(user):
        return "account_not_a_party"
    return None


def _links_of(party: Party, issuer: str):
    links = OidcIdentity.objects.filter(issuer=issuer).select_related("credential", "user")
    if party.credential is not None:
        return links.filter(credential=party.credential)
    return links.filter(user=party.user)


def linked_identity(party: Party, issuer: str) -> OidcIdentity | None:
    """The identity of ``issuer`` that currently lets this party in, if any."""
    for link in _links_of(party, issuer):
        if link_problem(link) is None:
            return link
    return None


def link(party: Party, identity: VerifiedIdentity, client_ip: str) -> tuple[OidcIdentity, bool]:
    """Link ``identity`` to ``party``; (the link, whether it is new).

    A party has at most one identity per provider: another one must be unlinked first. Links
    left over from before a re-issue of the code are replaced.
    """
    with transaction.atomic():
        if party.credential is not None:
            AccessCredential.objects.select_for_update().filter(pk=party.credential.pk).first()
        current = [lk for lk in _links_of(party, identity.issuer) if link_problem(lk) is None]
        for existing in current:
            if existing.subject == identity.subject:
                return existing, False
        if not current:
            return _create_link(party, identity, client_ip), True
    # Refused: journaled on its own (the refusal must not roll back with the transaction).
    record_link_refused(party, "already_linked", client_ip, issuer=identity.issuer)
    raise Conflict(
        "Une autre identité de ce fournisseur est déjà rattachée à votre accès : "
        "détachez-la d'abord, puis recommencez."
    )


def _create_link(
    party: Party,
    identity: VerifiedIdentity,
    client_ip: str,
) -> OidcIdentity:
    """(Inside the caller's transaction.)"""
    # Leftovers (made before a re-issue of the code) are dropped, then the link is made.
    _links_of(party, identity.issuer).delete()
    created = OidcIdentity.objects.create(
        issuer=identity.issuer,
        subject=identity.subject,
        credential=party.credential,
        user=party.user,
        given_name=identity.given_name,
        family_name=identity.family_name,
    )
    _journal(
        party,
        IdentityEvent.OIDC_LINKED,
        {"ip": client_ip, "issuer": identity.issuer, "subject": identity.subject},
    )
    return created


def unlink(party: Party, issuer: str, client_ip: str) -> bool:
    """Remove this party's identities of ``issuer``; whether there was one."""
    with transaction.atomic():
        links = list(_links_of(party, issuer).select_for_update(of=("self",)))
        if not links:
            return False
        OidcIdentity.objects.filter(pk__in=[lk.pk for lk in links]).delete()
        _journal(
            party,
            IdentityEvent.OIDC_UNLINKED,
            {
                "ip": client_ip,
                "issuer": issuer,
                "subjects": sorted({lk.subject for lk in links}),
            },
        )
    return True


@dataclass(frozen=True)
class Candidates:
    """What a verified identity may sign in as, and why the other links do not count."""

    parties: list[Party]
    problems: list[str]


def candidates(identity: VerifiedIdentity) -> Candidates:
    links = (
        OidcIdentity.objects.filter(issuer=identity.issuer, subject=identity.subject)
        .select_related("credential", "user")
        .order_by("pk")
    )
    parties, problems = [], []
    for lk in links:
        problem = link_problem(lk)
        if problem is None:
            parties.append(_party_of(lk))
        else:
            problems.append(problem)
    return Candidates(parties, problems)


def candidate(identity: VerifiedIdentity, key: str) -> Party | None:
    """The party behind ``key`` (credential:N or user:N) if the identity still lets it in."""
    for party in candidates(identity).parties:
        if party.key == key:
            return party
    return None


def record_login(identity: VerifiedIdentity, party: Party, client_ip: str) -> None:
    """Journal a sign-in with a linked identity (and the holder's access), in one transaction.

    Raises PermissionDenied if the link stopped being valid meanwhile (it is re-read under
    lock).
    """
    with transaction.atomic():
        link = (
            _links_of(party, identity.issuer)
            .select_for_update(of=("self",))  # the joined rows may be NULL
            .filter(subject=identity.subject)
            .first()
        )
        if link is None or link_problem(link) is not None:
            raise PermissionDenied("Cette identité ne donne plus accès à ce dossier.")
        link.last_login_at = timezone.now()
        link.given_name = identity.given_name or link.given_name
        link.family_name = identity.family_name or link.family_name
        link.save(update_fields=["last_login_at", "given_name", "family_name"])
        _journal(
            party,
            IdentityEvent.OIDC_LOGIN_SUCCEEDED,
            {
                "ip": client_ip,
                "issuer": identity.issuer,
                "subject": identity.subject,
                "acr": identity.acr,
            },
        )
        if party.credential is not None:
            kind, holder = party.holder()
            kind.on_sign_in(holder, client_ip=client_ip, via="oidc")


def record_login_refused(identity: VerifiedIdentity, reason: str, client_ip: str) -> None:
    """A verified identity that lets no one in (unknown, or its links no longer valid)."""
    record(
        Actor.anonymous(),
        IdentityEvent.OIDC_LOGIN_REFUSED,
        object_kind="oidc_identity",  # the subject may be longer than an object id (64)
        details={
            "ip": client_ip,
            "issuer": identity.issuer,
            "subject": identity.subject,
            "reason": reason,
        },
    )


def _journal(party: Party, action: str, details: dict) -> None:
    """One journal entry about ``party`` (its office and dossier), in the caller's transaction."""
    office_id, case = party.scope()
    record(
        party.actor(),
        action,
        object_kind=party.object_kind,
        object_id=party.object_id,
        office_id=office_id,
        case=case,
        details=details,
    )


def record_callback_refused(reason: str, intent: str, client_ip: str) -> None:
    """A callback refused before any identity was established (state, provider's error,
    invalid token, unreachable provider).

    Anyone can call the callback, so such refusals are journaled at most once a minute per
    address and reason: a flood of forged callbacks cannot fill the journal.
    """
    from django.core.cache import cache

    if not cache.add(f"sceau:oidc:refused:{client_ip}:{reason[:80]}", 1, timeout=60):
        return
    record(
        Actor.anonymous(),
        IdentityEvent.OIDC_CALLBACK_REFUSED,
        object_kind="oidc",
        details={"ip": client_ip, "reason": reason[:80], "intent": intent},
    )


def record_link_refused(party: Party, reason: str, client_ip: str, issuer: str = "") -> None:
    details = {"ip": client_ip, "reason": reason}
    if issuer:
        details["issuer"] = issuer
    _journal(
        party,
        IdentityEvent.OIDC_LINK_REFUSED,
        details,
    )


def require_party_may_link(party: Party) -> None:
    if party.user is not None and not may_link(party.user):
        raise PermissionDenied(
            "Seuls les créanciers et les personnes destinataires d'un acte peuvent rattacher "
            "une identité."
        )
