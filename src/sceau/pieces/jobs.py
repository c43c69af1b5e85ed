"""Mes Pièces' periodic job (registered in PiecesConfig.ready())."""

from __future__ import annotations


def purge() -> str:
    from sceau.pieces.services import purge_expired

    report = purge_expired()
    return f"purge: {len(report.purged)} document(s) détruit(s) sur {len(report.due)} échu(s)"
