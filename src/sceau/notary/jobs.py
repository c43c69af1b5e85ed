"""The notary's periodic jobs (registered in NotaryConfig.ready())."""

from __future__ import annotations


def stamp_notices() -> str:
    from sceau.notary.services import stamp_pending

    done, pending = stamp_pending()
    return f"avis : {done} horodaté(s), {pending} en attente de l'autorité d'horodatage"


def stamp_tree_head() -> str:
    from sceau.notary.errors import NotaryError
    from sceau.notary.services import stamp_tree_head as stamp

    try:
        stamp_ = stamp()
    except NotaryError as exc:
        return f"horodatage du journal : reporté ({exc.code})"
    return f"horodatage du journal : {'taille ' + str(stamp_.tree_size) if stamp_ else 'à jour'}"
