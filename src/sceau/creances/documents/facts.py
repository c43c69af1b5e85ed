"""What the documents state (parties, claim, instalments) and how amounts and dates read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm

from sceau.core.dates import PARIS, format_french_date
from sceau.identity.access import access_url as identity_access_url

from .texts import BASIS_LABELS, NBSP

SIGNATURE_ROOM = 2.6 * cm
FOOTER_Y = 0.9 * cm  # below the stamp, which starts 36 pt (1.27 cm) above the page's edge
# Width of the text frame: A4 less the 2 cm margins and the frame's 6 pt paddings.
CONTENT_WIDTH = A4[0] - 4 * cm - 12

_CENT = Decimal("0.01")


# --- Facts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """A creditor or a debtor: a name (or company name) and a postal address (several lines)."""

    name: str
    address: str


@dataclass(frozen=True)
class Instalment:
    """One payment of an agreed schedule."""

    due: date
    amount: Decimal

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError("An instalment must be a positive amount.")


@dataclass(frozen=True)
class ClaimFacts:
    """What the documents state about a claim; the debtor's code only goes on the invitation."""

    reference: str
    office_name: str
    office_address: str
    officer_name: str
    creditor: Party
    debtor: Party
    basis: str  # "contractual" | "statutory"
    description: str
    principal: Decimal
    interest: Decimal
    filed_on: date
    invitation_sent_on: date | None = None
    answer_deadline: date | None = None
    public_url: str = ""
    identifier: str | None = None
    code: str | None = None

    def __post_init__(self) -> None:
        if self.basis not in BASIS_LABELS:
            raise ValueError(f"Unknown basis {self.basis!r}: expected one of {list(BASIS_LABELS)}.")
        if self.principal < 0 or self.interest < 0:
            raise ValueError("Principal and interest cannot be negative.")

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest


# --- Formatting ------------------------------------------------------------------------------


def format_euros(amount: Decimal) -> str:
    """``amount`` written the French way: "1 234,56 €" (no-break spaces, two decimals)."""
    quantized = Decimal(amount).quantize(_CENT, rounding=ROUND_HALF_UP)
    sign = "-" if quantized < 0 else ""
    units, cents = f"{abs(quantized):.2f}".split(".")
    groups = []
    while len(units) > 3:
        groups.insert(0, units[-3:])
        units = units[:-3]
    groups.insert(0, units)
    return f"{sign}{NBSP.join(groups)},{cents}{NBSP}€"


def _french_datetime(moment: datetime) -> str:
    """An aware datetime in Paris wall-clock time: "16 mars 2026 à 14 h 05"."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("An aware datetime is required.")
    local = moment.astimezone(PARIS)
    return f"{format_french_date(local.date())} à {local.hour} h {local.minute:02d}"


def _one_line(address: str) -> str:
    return ", ".join(line.strip() for line in address.splitlines() if line.strip())


def access_url(f: ClaimFacts) -> str:
    """The address where the debtor answers online (identity's one access address)."""
    return identity_access_url(f.public_url)


def _check_schedule(amount: Decimal, instalments: Sequence[Instalment]) -> None:
    if amount <= 0:
        raise ValueError("The agreed amount must be positive.")
    if not instalments:
        raise ValueError("An agreement needs at least one instalment.")
    dues = [i.due for i in instalments]
    if dues != sorted(dues):
        raise ValueError("Instalments must be listed in chronological order.")
    total = sum((i.amount for i in instalments), Decimal(0))
    if total != amount:
        raise ValueError(f"The instalments add up to {total}, not to the agreed amount {amount}.")
