from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "sceau.identity"
    label = "identity"
    verbose_name = "Identification"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from sceau.identity.sessions import on_user_logged_in

        user_logged_in.connect(on_user_logged_in, dispatch_uid="sceau-session-started")

        from sceau.identity.auth import may_upload
        from sceau.vault.uploads import register_upload_gate

        register_upload_gate(may_upload)
