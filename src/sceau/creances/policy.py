"""What may be done on a claim now: the predicates both the services' guards and the pages use,
so that a page never offers a form the service would refuse."""

from __future__ import annotations

from datetime import date

from sceau.core import clock
from sceau.creances.machine import ACCEPTED, AGREED, INVITED, REFUSED
from sceau.creances.models import Claim

# Messages are open from the invitation to the end of the procedure.
MESSAGE_STATES = frozenset({INVITED, ACCEPTED, REFUSED, AGREED})


def within_answer_month(claim: Claim, today: date | None = None) -> bool:
    """The debtor's month to answer has not ended (R125-2: the deadline day included)."""
    today = today or clock.today()
    return claim.answer_deadline is not None and today <= claim.answer_deadline


def can_message(claim: Claim) -> bool:
    return claim.state in MESSAGE_STATES


def debtor_may_answer(claim: Claim, today: date | None = None) -> bool:
    return claim.state == INVITED and within_answer_month(claim, today)


def may_propose(claim: Claim, today: date | None = None) -> bool:
    return claim.state == ACCEPTED and within_answer_month(claim, today)
