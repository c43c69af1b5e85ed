"""Petites créances debtors as credential holders (registered in CreancesConfig.ready())."""

from __future__ import annotations

from sceau.creances import services
from sceau.identity.principals import DEBTOR, Principal
from sceau.journal.cases import CaseRef
from sceau.journal.services import Actor

KIND = services.HOLDER_KIND


class DebtorHolder:
    kind = KIND
    actor_kind = DEBTOR

    def get(self, holder_id: int):
        from sceau.creances.models import Claim

        return Claim.objects.select_related("office").filter(pk=holder_id).first()

    def actor(self, holder) -> Actor:
        return Actor.debtor(holder.pk, holder.debtor_name)

    def principal(self, holder) -> Principal:
        return Principal.for_holder(DEBTOR, holder, holder.office_id)

    def label(self, holder) -> str:
        return f"Petites créances : demande {holder.reference} ({holder.office.name})"

    def home_url(self, holder) -> str:
        return "/creances/debiteur/"

    def scope(self, holder) -> CaseRef:
        return CaseRef.claim(holder.pk)

    def office_id(self, holder) -> int:
        return holder.office_id

    def on_sign_in(self, holder, *, client_ip: str, via: str) -> None:
        services.record_access(holder, "debtor", client_ip)


DEBTORS = DebtorHolder()
