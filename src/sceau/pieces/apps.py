from django.apps import AppConfig


class PiecesConfig(AppConfig):
    name = "sceau.pieces"
    label = "pieces"
    verbose_name = "Mes Pièces"
