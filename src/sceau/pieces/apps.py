from django.apps import AppConfig


def _keep_entries_of_live_dossiers(qs):
    """Journal entries outlive what they record (arrete 2022 art. 6): keep a dossier's entries
    while any of its documents has not been destroyed yet."""
    from sceau.pieces.models import Document

    live = Document.objects.filter(purged_at=None).values("dossier_id")
    return qs.exclude(dossier_id__in=live)


class PiecesConfig(AppConfig):
    name = "sceau.pieces"
    label = "pieces"
    verbose_name = "Mes Pièces"

    def ready(self) -> None:
        from sceau.core.jobs import register_job
        from sceau.pieces import jobs

        register_job("purge", jobs.purge, order=10)
        from sceau.identity import holders
        from sceau.journal.transparency import RETENTION_GUARDS
        from sceau.pieces.holders import RECIPIENTS

        holders.register(RECIPIENTS)
        if _keep_entries_of_live_dossiers not in RETENTION_GUARDS:
            RETENTION_GUARDS.append(_keep_entries_of_live_dossiers)
