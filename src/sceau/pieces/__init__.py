"""Mes Pieces: documents made available to debtors of an injunction-to-pay case."""
