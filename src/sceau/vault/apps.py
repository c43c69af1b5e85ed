from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "sceau.vault"
    label = "vault"
    verbose_name = "Coffre (empreintes, chiffrement, conservation)"
