from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "sceau.vault"
    label = "vault"
    verbose_name = "Coffre (empreintes, chiffrement, conservation)"

    def ready(self) -> None:
        from sceau.journal import signing
        from sceau.vault.keyring import FileKeyring

        signing.register_key_store(FileKeyring)
        from sceau.core.jobs import register_job
        from sceau.vault import jobs

        register_job("sweep", jobs.sweep, every_seconds=3600, order=30)
