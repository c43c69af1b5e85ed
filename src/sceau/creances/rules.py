"""Dated rules of the procedure that change over time: the ceiling and the fee table.

Both come from a JSON file (``SCEAU_PC_RULES``) or, by default, from ``DEFAULT_RULES`` below.
The ceiling figures are sure (decree 2016-285, then 5,000 EUR since 1 January 2020); the fee
figures are NOT legally checked (domain.md marks the tariff as unsure): they are shown to the
creditor labelled "indicatif" until an operator configures the tariff in force.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

DEFAULT_RULES = {
    "ceilings": [
        {"from": "2016-06-01", "eur": "4000.00"},
        {"from": "2020-01-01", "eur": "5000.00"},
    ],
    "tariff": [
        {
            "from": "2016-06-01",
            "checked": False,
            "items": [
                {"label": "Droit fixe de la procédure", "fixed": "16.07"},
                {
                    "label": "Droit proportionnel (sur le montant recouvré)",
                    "percent": "3.6",
                    "minimum": "5.00",
                    "maximum": "120.00",
                },
            ],
        }
    ],
}


class RulesError(ValueError):
    """The rules file is unusable."""


@dataclass(frozen=True)
class Fee:
    label: str
    amount: Decimal


def load_rules(path: Path | None) -> dict:
    if path is None:
        return DEFAULT_RULES
    try:
        rules = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise RulesError(f"{path}: unreadable rules ({exc})") from None
    if not rules.get("ceilings") or not rules.get("tariff"):
        raise RulesError(f"{path}: needs 'ceilings' and 'tariff'")
    return rules


def _in_force(entries: list[dict], on: date) -> dict:
    valid = [e for e in entries if date.fromisoformat(e["from"]) <= on]
    if not valid:
        raise RulesError(f"no rule in force on {on.isoformat()}")
    return max(valid, key=lambda e: e["from"])


def ceiling(rules: dict, on: date) -> Decimal:
    """Principal plus interest may not exceed this on the filing date (R125-1)."""
    return Decimal(_in_force(rules["ceilings"], on)["eur"])


def fees(rules: dict, on: date, amount: Decimal) -> tuple[list[Fee], bool]:
    """The creditor's fees for ``amount`` (the debtor pays nothing); and whether checked."""
    entry = _in_force(rules["tariff"], on)
    out = []
    cent = Decimal("0.01")
    for item in entry["items"]:
        if "fixed" in item:
            value = Decimal(item["fixed"])
        else:
            value = (amount * Decimal(item["percent"]) / 100).quantize(cent, ROUND_HALF_UP)
            if "minimum" in item:
                value = max(value, Decimal(item["minimum"]))
            if "maximum" in item:
                value = min(value, Decimal(item["maximum"]))
        out.append(Fee(item["label"], value.quantize(cent)))
    return out, bool(entry.get("checked"))
