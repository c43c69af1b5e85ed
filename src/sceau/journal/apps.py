from django.apps import AppConfig


class JournalConfig(AppConfig):
    name = "sceau.journal"
    label = "journal"
    verbose_name = "Journal des opérations"

    def ready(self) -> None:
        from sceau.core.jobs import register_job
        from sceau.journal import jobs

        register_job("tree_head", jobs.tree_head, order=40)
        register_job("witnesses", jobs.witnesses, order=70)
        register_job("prune_journal", jobs.prune_journal, every_seconds=86400, order=80)
