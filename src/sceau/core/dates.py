"""Calendar arithmetic as French civil procedure counts it.

Month deadlines follow articles 640 to 642 of the Code de procédure civile: a deadline expressed
in months ends on the day bearing the same number in the last month, or on that month's last day
when there is no such day (641); a deadline ending on a Saturday, Sunday or public holiday is
extended to the next working day (642). Public holidays are the eleven legal holidays of
metropolitan France (Code du travail, L3133-1); local ones (Alsace-Moselle, overseas) are not
included.

Wall-clock questions ("what day is it?", "until when is it available?") are answered in
Europe/Paris, whatever the server's time zone.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

__all__ = [
    "PARIS",
    "add_months",
    "add_months_dt",
    "easter_sunday",
    "end_of_paris_day",
    "format_french_date",
    "french_public_holidays",
    "is_working_day",
    "next_working_day",
    "paris_date",
    "procedural_deadline",
]

PARIS = ZoneInfo("Europe/Paris")

_MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def _require_aware(dt: datetime) -> None:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("An aware datetime is required (naive datetimes are ambiguous).")


def add_months(d: date, months: int) -> date:
    """Add calendar months keeping the day number, clamped to the month's last day (CPC 641)."""
    index = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    if not 1 <= year <= 9999:
        raise OverflowError(f"Date out of range: {d.isoformat()} + {months} months.")
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(d.day, last_day))


def add_months_dt(dt: datetime, months: int) -> datetime:
    """Add calendar months to an aware datetime on the Europe/Paris wall clock.

    The Paris date moves by ``add_months`` and the wall-clock time is kept. A time that does not
    exist on the new day (spring-forward gap) is shifted forward by the gap's length; a time that
    occurs twice (autumn fold) resolves to its first occurrence. The result is returned in the
    time zone of ``dt``.
    """
    _require_aware(dt)
    wall = dt.astimezone(PARIS)
    new_day = add_months(wall.date(), months)
    naive_time = wall.time().replace(tzinfo=None, fold=0)
    local = datetime.combine(new_day, naive_time, tzinfo=PARIS)
    # The round trip through UTC turns a non-existent local time into a real instant.
    return local.astimezone(UTC).astimezone(dt.tzinfo)


def easter_sunday(year: int) -> date:
    """Date of Easter Sunday in the Gregorian calendar (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=256)
def _holidays(year: int) -> MappingProxyType[date, str]:
    easter = easter_sunday(year)
    entries = [
        (date(year, 1, 1), "Jour de l'an"),
        (easter + timedelta(days=1), "Lundi de Pâques"),
        (date(year, 5, 1), "Fête du Travail"),
        (date(year, 5, 8), "Victoire 1945"),
        (easter + timedelta(days=39), "Ascension"),
        (easter + timedelta(days=50), "Lundi de Pentecôte"),
        (date(year, 7, 14), "Fête nationale"),
        (date(year, 8, 15), "Assomption"),
        (date(year, 11, 1), "Toussaint"),
        (date(year, 11, 11), "Armistice 1918"),
        (date(year, 12, 25), "Noël"),
    ]
    result: dict[date, str] = {}
    for day, name in sorted(entries, key=lambda entry: entry[0]):
        # Ascension can fall on 1 or 8 May (e.g. 2008): keep both names.
        result[day] = f"{result[day]} et {name}" if day in result else name
    return MappingProxyType(result)


def french_public_holidays(year: int) -> dict[date, str]:
    """The legal public holidays of metropolitan France (Code du travail L3133-1), by date."""
    return dict(_holidays(year))


def is_working_day(d: date) -> bool:
    """True unless ``d`` is a Saturday, a Sunday or a public holiday."""
    return d.weekday() < 5 and d not in _holidays(d.year)


def next_working_day(d: date) -> date:
    """``d`` itself if it is a working day, otherwise the first working day after it."""
    while not is_working_day(d):
        d += timedelta(days=1)
    return d


def procedural_deadline(start: date, months: int) -> date:
    """Last day of a deadline of ``months`` months running from ``start`` (CPC 641 and 642)."""
    return next_working_day(add_months(start, months))


def paris_date(dt: datetime) -> date:
    """The calendar date in Europe/Paris of an aware datetime."""
    _require_aware(dt)
    return dt.astimezone(PARIS).date()


def end_of_paris_day(d: date) -> datetime:
    """The aware UTC instant at which day ``d`` ends in Paris (next day's 00:00 Paris time).

    Something "available until ``d`` inclusive" stops being available at this instant.
    """
    midnight = datetime.combine(d + timedelta(days=1), time(0), tzinfo=PARIS)
    return midnight.astimezone(UTC)


def format_french_date(d: date) -> str:
    """A date written out in French, e.g. "1er mars 2026", "14 juillet 2025"."""
    day = "1er" if d.day == 1 else str(d.day)
    return f"{day} {_MONTHS_FR[d.month - 1]} {d.year}"
