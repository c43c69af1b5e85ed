"""Sceau: Mes Pieces and Petites creances for French judicial officers."""

__version__ = "0.1.0"
