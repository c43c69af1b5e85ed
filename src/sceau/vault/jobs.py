"""The vault's periodic job (registered in VaultConfig.ready())."""

from __future__ import annotations


def sweep() -> str:
    from sceau.vault.services import sweep_orphans

    return f"sweep: {sweep_orphans()} blob(s) orphelin(s) supprimé(s)"
