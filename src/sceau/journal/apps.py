from django.apps import AppConfig


class JournalConfig(AppConfig):
    name = "sceau.journal"
    label = "journal"
    verbose_name = "Journal des opérations"
