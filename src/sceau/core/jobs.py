"""Periodic jobs run by `sceau worker`; each returns a one-line summary."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.cache import cache

log = logging.getLogger(__name__)


def _purge() -> str:
    from sceau.pieces.services import purge_expired

    report = purge_expired()
    return f"purge: {len(report.purged)} document(s) détruit(s) sur {len(report.due)} échu(s)"


def _sweep() -> str:
    from sceau.vault.services import sweep_orphans

    return f"sweep: {sweep_orphans()} blob(s) orphelin(s) supprimé(s)"


def _tree_head() -> str:
    from django.conf import settings

    from sceau.journal import transparency

    if not transparency.tree_head_due(settings.CONFIG.tree_head_seconds):
        return "tree head : à jour"
    head = transparency.make_tree_head()
    return f"tree head : taille {head.tree_size}"


def _prune_journal() -> str:
    from sceau.journal import transparency

    return f"journal : {transparency.prune()} entrée(s) élaguée(s)"


def _stamp_pending() -> str:
    from sceau.notary.services import stamp_pending

    done, pending = stamp_pending()
    return f"avis : {done} horodaté(s), {pending} en attente de l'autorité d'horodatage"


def _stamp_tree_head() -> str:
    from sceau.notary.errors import NotaryError
    from sceau.notary.services import stamp_tree_head

    try:
        stamp = stamp_tree_head()
    except NotaryError as exc:
        return f"horodatage du journal : reporté ({exc.code})"
    return f"horodatage du journal : {'taille ' + str(stamp.tree_size) if stamp else 'à jour'}"


def _witnesses() -> str:
    from sceau.journal.witnessing import submit

    lines = submit()
    return "témoins : " + ("; ".join(lines) if lines else "aucun configuré")


def _silence() -> str:
    from sceau.creances.services import apply_silence

    return f"petites créances : {apply_silence()} silence(s) constaté(s) comme refus"


# name -> (function, minimum seconds between two runs)
JOBS: dict[str, tuple[Callable[[], str], int]] = {
    "purge": (_purge, 0),
    "silence": (_silence, 0),
    "sweep": (_sweep, 3600),
    "tree_head": (_tree_head, 0),
    "stamp_notices": (_stamp_pending, 0),
    "stamp_tree_head": (_stamp_tree_head, 0),
    "witnesses": (_witnesses, 0),
    "prune_journal": (_prune_journal, 86400),
}


def run_due_jobs() -> list[str]:
    lines = []
    for name, (job, every) in JOBS.items():
        if every and not cache.add(f"sceau:job:{name}", 1, timeout=every):
            continue
        try:
            lines.append(job())
        except Exception as exc:  # one failing job must not stop the others; it is logged
            log.exception("job %s failed", name)
            lines.append(f"{name}: ÉCHEC ({exc.__class__.__name__}: {exc})")
    return lines
