"""Credential holders: who the identifier and code printed on an act belong to.

A printed credential belongs to a Mes Pièces recipient or to a Petites créances debtor. Identity
does not know either app: each registers a :class:`CredentialHolderType` in its
``AppConfig.ready()`` (warehouse's ``includeme``), and identity asks the registry whenever it
needs the holder's actor, scope, label, home page or what happens at sign-in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from sceau.identity.principals import Principal
    from sceau.journal.cases import CaseRef
    from sceau.journal.services import Actor


@runtime_checkable
class CredentialHolderType(Protocol):
    """One kind of credential holder, registered by the app that owns it."""

    kind: str  # stored in AccessCredential.holder_kind, e.g. "pieces.recipient"
    actor_kind: str  # the journal's actor kind: "recipient" or "debtor"

    def get(self, holder_id: int) -> Any | None:
        """The holder object (a Recipient, a Claim), or None if it no longer exists."""

    def actor(self, holder: Any) -> Actor:
        """The journal actor of this holder."""

    def principal(self, holder: Any) -> Principal:
        """The principal services receive when this holder acts."""

    def label(self, holder: Any) -> str:
        """How the holder is named to a person choosing between several links."""

    def home_url(self, holder: Any) -> str:
        """Where the holder lands after signing in."""

    def scope(self, holder: Any) -> CaseRef:
        """The case the holder may see."""

    def office_id(self, holder: Any) -> int:
        """The office in charge of the holder's case."""

    def on_sign_in(self, holder: Any, *, client_ip: str, via: str) -> None:
        """Journal the sign-in and do what it means for this holder (a first access is noticed;
        a debtor's first access is their consent). ``via`` is ``code``, ``password``, ``oidc``
        or ``api``."""


_REGISTRY: dict[str, CredentialHolderType] = {}


def register(holder_type: CredentialHolderType) -> None:
    """Register a holder type (idempotent for the same object; a second type of the same kind
    is a programming error)."""
    known = _REGISTRY.get(holder_type.kind)
    if known is not None and known is not holder_type:
        raise RuntimeError(f"credential holder kind {holder_type.kind!r} registered twice")
    _REGISTRY[holder_type.kind] = holder_type


def holder_type(kind: str) -> CredentialHolderType:
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise LookupError(f"no credential holder type registered for {kind!r}") from None


def holder_types() -> tuple[CredentialHolderType, ...]:
    return tuple(_REGISTRY.values())
