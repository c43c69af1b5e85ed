from django.apps import AppConfig


class NotaryConfig(AppConfig):
    name = "sceau.notary"
    label = "notary"
    verbose_name = "Horodatage, avis et signatures"
