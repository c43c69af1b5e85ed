from django.apps import AppConfig


class CreancesConfig(AppConfig):
    name = "sceau.creances"
    label = "creances"
    verbose_name = "Petites créances"
