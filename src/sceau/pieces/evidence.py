"""The evidence bundle of a Mes Pièces dossier (built by the notary from the dossier's facts)."""

from __future__ import annotations

from sceau.journal.cases import CaseRef
from sceau.notary.evidence import build_bundle
from sceau.pieces.models import Dossier


def dossier_bundle(dossier: Dossier) -> bytes:
    documents = [
        {
            "id": d.pk,
            "name": d.name,
            "sha256": d.sha256,
            "size": d.size,
            "deposited_at": d.deposited_at.isoformat(),
            "expires_at": d.expires_at.isoformat(),
            "purged_at": d.purged_at.isoformat() if d.purged_at else None,
        }
        for d in dossier.documents.order_by("pk")
    ]
    return build_bundle(
        CaseRef.dossier(dossier.pk),
        reference=dossier.reference,
        office=dossier.office.name,
        documents=documents,
    )
