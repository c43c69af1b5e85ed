from django.apps import AppConfig


class NotaryConfig(AppConfig):
    name = "sceau.notary"
    label = "notary"
    verbose_name = "Horodatage, avis et signatures"

    def ready(self) -> None:
        from sceau.core.jobs import register_job
        from sceau.notary import jobs

        register_job("stamp_notices", jobs.stamp_notices, order=50)
        register_job("stamp_tree_head", jobs.stamp_tree_head, order=60)
