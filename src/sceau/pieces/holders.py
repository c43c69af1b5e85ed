"""Mes Pièces recipients as credential holders (registered in PiecesConfig.ready())."""

from __future__ import annotations

from sceau.identity.principals import RECIPIENT, Principal
from sceau.journal.cases import CaseRef
from sceau.journal.services import Actor
from sceau.pieces import services

KIND = services.HOLDER_KIND


class RecipientHolder:
    kind = KIND
    actor_kind = RECIPIENT

    def get(self, holder_id: int):
        from sceau.pieces.models import Recipient

        return (
            Recipient.objects.select_related("dossier", "dossier__office")
            .filter(pk=holder_id)
            .first()
        )

    def actor(self, holder) -> Actor:
        return Actor.recipient(holder.pk, holder.name)

    def principal(self, holder) -> Principal:
        return Principal.for_holder(RECIPIENT, holder, holder.dossier.office_id)

    def label(self, holder) -> str:
        return (
            f"Mes Pièces : dossier {holder.dossier.reference} "
            f"({holder.dossier.office.name}), destinataire {holder.name}"
        )

    def home_url(self, holder) -> str:
        return "/acces/dossier/"

    def scope(self, holder) -> CaseRef:
        return CaseRef.dossier(holder.dossier_id)

    def office_id(self, holder) -> int:
        return holder.dossier.office_id

    def on_sign_in(self, holder, *, client_ip: str, via: str) -> None:
        services.record_sign_in(holder, client_ip)


RECIPIENTS = RecipientHolder()
