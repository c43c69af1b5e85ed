"""Errors of Mes Pieces, each with a message that says what to do."""

from sceau.core.errors import Conflict, Gone


class ReferenceTaken(Conflict):
    code = "reference_taken"
    message = "Un dossier de votre étude porte déjà cette référence : choisissez-en une autre."


class ExpiryTooEarly(Conflict):
    code = "expiry_too_early"


class NotExtendable(Conflict):
    code = "not_extendable"


class DocumentUnavailable(Gone):
    code = "document_expired"
