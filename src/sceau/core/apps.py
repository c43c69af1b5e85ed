from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sceau.core"
    label = "core"
    verbose_name = "Sceau (socle)"

    def ready(self) -> None:
        from sceau.core import checks  # noqa: F401 (registers the deploy checks)
