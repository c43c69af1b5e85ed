from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sceau.core"
    label = "core"
    verbose_name = "Sceau (socle)"
