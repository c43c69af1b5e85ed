"""Petites créances' periodic job (registered in CreancesConfig.ready())."""

from __future__ import annotations


def silence() -> str:
    from sceau.creances.services import apply_silence

    return f"petites créances : {apply_silence()} silence(s) constaté(s) comme refus"
