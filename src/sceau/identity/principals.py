"""The principal: who is acting, as every service receives it.

Views, API routers and commands build one from the request (or the command line) and pass it;
services decide party, name and rights from it, never from strings the caller chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sceau.journal.services import Actor

OFFICER = "officer"
AUDITOR = "auditor"
CREDITOR = "creditor"
RECIPIENT = "recipient"
DEBTOR = "debtor"
API = "api"
SYSTEM = "system"
KINDS = frozenset({OFFICER, AUDITOR, CREDITOR, RECIPIENT, DEBTOR, API, SYSTEM})


@dataclass(frozen=True)
class Principal:
    kind: str
    user: Any = None  # identity.User for officers, auditors, creditors and API tokens
    office_id: int | None = None
    holder: Any = None  # the credential holder (a Recipient, a Claim) for recipients, debtors
    token_id: int | None = None  # the API token used, if any

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"principal kind {self.kind!r} is not one of {sorted(KINDS)}")

    @classmethod
    def for_user(cls, user: Any) -> Principal:
        """An officer, auditor or creditor signed in on a web session."""
        return cls(user.role, user=user, office_id=user.office_id)

    @classmethod
    def for_token(cls, token: Any) -> Principal:
        """The owner of an API token, acting through it (the token's user keeps their role)."""
        user = token.user
        return cls(user.role, user=user, office_id=user.office_id, token_id=token.pk)

    @classmethod
    def for_holder(cls, kind: str, holder: Any, office_id: int | None = None) -> Principal:
        """A credential holder: ``kind`` is ``recipient`` or ``debtor``."""
        if kind not in (RECIPIENT, DEBTOR):
            raise ValueError(f"a credential holder is a recipient or a debtor, not {kind!r}")
        return cls(kind, holder=holder, office_id=office_id)

    @classmethod
    def system(cls) -> Principal:
        return cls(SYSTEM)

    @property
    def is_officer(self) -> bool:
        return self.kind == OFFICER and self.office_id is not None

    def actor(self) -> Actor:
        """The journal actor for this principal."""
        if self.kind == SYSTEM:
            return Actor.system()
        if self.kind == OFFICER:
            return Actor.officer(self.user)
        if self.kind == AUDITOR:
            return Actor.auditor(self.user)
        if self.kind == CREDITOR:
            return Actor.creditor(self.user)
        if self.kind == RECIPIENT:
            return Actor.recipient(self.holder.pk, self.holder.name)
        return Actor.debtor(self.holder.pk, self.holder.debtor_name)
