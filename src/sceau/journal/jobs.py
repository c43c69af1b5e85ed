"""The journal's periodic jobs (registered in JournalConfig.ready())."""

from __future__ import annotations

from django.conf import settings


def tree_head() -> str:
    from sceau.journal import transparency

    if not transparency.tree_head_due(settings.CONFIG.tree_head_seconds):
        return "tree head : à jour"
    head = transparency.make_tree_head()
    return f"tree head : taille {head.tree_size}"


def witnesses() -> str:
    from sceau.journal.witnessing import submit

    lines = submit()
    return "témoins : " + ("; ".join(lines) if lines else "aucun configuré")


def prune_journal() -> str:
    from sceau.journal import transparency

    return f"journal : {transparency.prune()} entrée(s) élaguée(s)"
