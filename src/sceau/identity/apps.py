from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "sceau.identity"
    label = "identity"
    verbose_name = "Identification"
