from django.apps import AppConfig


class CreancesConfig(AppConfig):
    name = "sceau.creances"
    label = "creances"
    verbose_name = "Petites créances"

    def ready(self) -> None:
        from sceau.core.jobs import register_job
        from sceau.creances import jobs

        register_job("silence", jobs.silence, order=20)
        from sceau.creances.holders import DEBTORS
        from sceau.identity import holders

        holders.register(DEBTORS)
