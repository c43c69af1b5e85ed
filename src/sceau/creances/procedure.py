"""The Petites créances procedure as a pure transition table (no Django, no database).

States and the events that move a claim between them (CPCE R125-1 to R125-5); ``transition``
says where an event leads from a state, or refuses it with the step the procedure is at.
``machine`` applies these transitions to stored claims, each with its journal entry.
"""

from __future__ import annotations

from sceau.core.errors import Conflict

REQUESTED, DECLINED, MANDATED, INVITED = "requested", "declined", "mandated", "invited"
ACCEPTED, REFUSED, AGREED, CLOSED = "accepted", "refused", "agreed", "closed"
STATES = (REQUESTED, DECLINED, MANDATED, INVITED, ACCEPTED, REFUSED, AGREED, CLOSED)

STATE_LABELS = {
    REQUESTED: "demande transmise à l'étude",
    DECLINED: "mandat refusé par l'étude",
    MANDATED: "mandat accepté, invitation à envoyer",
    INVITED: "invitation envoyée, en attente de la réponse du débiteur",
    ACCEPTED: "le débiteur accepte de participer : négociation",
    REFUSED: "le débiteur refuse de participer (ou n'a pas répondu à temps)",
    AGREED: "accord des parties, titre exécutoire à délivrer",
    CLOSED: "procédure terminée",
}

# Events (what happens), and the step at which each may happen.
ACCEPT_MANDATE, DECLINE_MANDATE = "accept_mandate", "decline_mandate"
INVITE = "invite"
DEBTOR_ACCEPTS, DEBTOR_REFUSES, SILENCE = "debtor_accepts", "debtor_refuses", "silence"
PROPOSE, ANSWER_PROPOSAL, AGREEMENT_REACHED = "propose", "answer_proposal", "agreement_reached"
CLOSE = "close"

TRANSITIONS: dict[tuple[str, str], str] = {
    (REQUESTED, ACCEPT_MANDATE): MANDATED,
    (REQUESTED, DECLINE_MANDATE): DECLINED,
    (MANDATED, INVITE): INVITED,
    (INVITED, DEBTOR_ACCEPTS): ACCEPTED,
    (INVITED, DEBTOR_REFUSES): REFUSED,
    (INVITED, SILENCE): REFUSED,  # R125-2: silence at the deadline is refusal
    (ACCEPTED, PROPOSE): ACCEPTED,
    (ACCEPTED, ANSWER_PROPOSAL): ACCEPTED,
    (ACCEPTED, AGREEMENT_REACHED): AGREED,
    (REFUSED, CLOSE): CLOSED,  # R125-5 1°
    (ACCEPTED, CLOSE): CLOSED,  # R125-5 2° or 3°
    (AGREED, CLOSE): CLOSED,  # R125-5 4°
}
EVENTS = tuple(sorted({event for _, event in TRANSITIONS}))


class TransitionRefused(Conflict):
    code = "invalid_transition"


def transition(state: str, event: str, *, doing: str) -> str:
    """The state ``event`` leads to from ``state``; refused (409) with what the user tried
    (``doing``) and the step the procedure is at."""
    if state not in STATE_LABELS:
        raise ValueError(f"unknown state {state!r}")
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise TransitionRefused(
            f"Impossible de {doing} : la procédure en est à l'étape « {STATE_LABELS[state]} »."
        ) from None


def may(state: str, event: str) -> bool:
    return (state, event) in TRANSITIONS
