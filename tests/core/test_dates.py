"""Tests for French procedural date arithmetic."""

import calendar
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sceau.core.dates import (
    PARIS,
    add_months,
    add_months_dt,
    easter_sunday,
    end_of_paris_day,
    format_french_date,
    french_public_holidays,
    is_working_day,
    next_working_day,
    paris_date,
    procedural_deadline,
)

# --- add_months ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2100, 1, 31), 1, date(2100, 2, 28)),
        (date(2025, 3, 31), 1, date(2025, 4, 30)),
        (date(2025, 1, 15), 1, date(2025, 2, 15)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 12, 31), 2, date(2026, 2, 28)),
        (date(2025, 8, 31), 12, date(2026, 8, 31)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2025, 1, 10), -1, date(2024, 12, 10)),
        (date(2025, 5, 17), 0, date(2025, 5, 17)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_add_months_out_of_range() -> None:
    with pytest.raises(OverflowError):
        add_months(date(9999, 12, 1), 1)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)), st.integers(-240, 240))
def test_add_months_lands_in_the_right_month(start: date, months: int) -> None:
    result = add_months(start, months)
    index = start.year * 12 + start.month - 1 + months
    assert (result.year, result.month - 1) == divmod(index, 12)
    assert result.day <= start.day
    last_day = calendar.monthrange(result.year, result.month)[1]
    # Same day number, or clamped to the last day of a shorter month.
    assert result.day == min(start.day, last_day)


# --- add_months_dt ------------------------------------------------------------------------


def test_add_months_dt_keeps_paris_wall_clock_across_dst() -> None:
    # 15 Feb 10:00 CET (UTC+1) + 1 month -> 15 Mar 10:00 CET; + 2 months -> 15 Apr 10:00 CEST.
    start = datetime(2025, 2, 15, 9, 0, tzinfo=UTC)
    assert add_months_dt(start, 1) == datetime(2025, 3, 15, 9, 0, tzinfo=UTC)
    assert add_months_dt(start, 2) == datetime(2025, 4, 15, 8, 0, tzinfo=UTC)
    assert add_months_dt(start, 2).tzinfo is UTC


def test_add_months_dt_returns_in_original_zone() -> None:
    start = datetime(2025, 1, 31, 23, 30, tzinfo=PARIS)
    result = add_months_dt(start, 1)
    assert result == datetime(2025, 2, 28, 23, 30, tzinfo=PARIS)
    assert result.tzinfo is PARIS


def test_add_months_dt_uses_paris_date_not_utc_date() -> None:
    # 31 Jan 23:30 UTC is already 1 Feb 00:30 in Paris: + 1 month is 1 Mar 00:30 Paris.
    start = datetime(2025, 1, 31, 23, 30, tzinfo=UTC)
    assert add_months_dt(start, 1) == datetime(2025, 2, 28, 23, 30, tzinfo=UTC)


def test_add_months_dt_gap_moves_forward() -> None:
    # 30 March 2025 02:30 does not exist in Paris (clocks jump from 02:00 to 03:00).
    result = add_months_dt(datetime(2025, 1, 30, 2, 30, tzinfo=PARIS), 2)
    assert result == datetime(2025, 3, 30, 1, 30, tzinfo=UTC)
    assert result.astimezone(PARIS).replace(tzinfo=None) == datetime(2025, 3, 30, 3, 30)


def test_add_months_dt_fold_takes_first_occurrence() -> None:
    # 26 Oct 2025 02:30 happens twice in Paris; the first one is still summer time (UTC+2).
    # (Compare in UTC: PEP 495 makes inter-zone equality false for ambiguous local times.)
    result = add_months_dt(datetime(2025, 9, 26, 2, 30, tzinfo=PARIS), 1)
    assert result.astimezone(UTC) == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)
    assert result.tzinfo is PARIS
    second = datetime(2025, 10, 26, 1, 30, tzinfo=UTC)  # 02:30 CET, fold=1
    assert add_months_dt(second, 1) == datetime(2025, 11, 26, 1, 30, tzinfo=UTC)


def test_add_months_dt_refuses_naive() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_months_dt(datetime(2025, 1, 1, 12, 0), 1)


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.just(UTC),
    ),
    st.integers(-36, 36),
)
def test_add_months_dt_matches_add_months_on_paris_date(dt: datetime, months: int) -> None:
    result = add_months_dt(dt, months)
    assert result.tzinfo is UTC
    assert paris_date(result) == add_months(paris_date(dt), months)


# --- Easter and holidays --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2000, date(2000, 4, 23)),
        (2008, date(2008, 3, 23)),
        (2011, date(2011, 4, 24)),
        (2019, date(2019, 4, 21)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),
    ],
)
def test_easter_sunday(year: int, expected: date) -> None:
    assert easter_sunday(year) == expected


@given(st.integers(1583, 4099))
def test_easter_is_a_sunday_between_22_march_and_25_april(year: int) -> None:
    easter = easter_sunday(year)
    assert easter.weekday() == 6
    assert date(year, 3, 22) <= easter <= date(year, 4, 25)


def test_holidays_2026() -> None:
    assert french_public_holidays(2026) == {
        date(2026, 1, 1): "Jour de l'an",
        date(2026, 4, 6): "Lundi de Pâques",
        date(2026, 5, 1): "Fête du Travail",
        date(2026, 5, 8): "Victoire 1945",
        date(2026, 5, 14): "Ascension",
        date(2026, 5, 25): "Lundi de Pentecôte",
        date(2026, 7, 14): "Fête nationale",
        date(2026, 8, 15): "Assomption",
        date(2026, 11, 1): "Toussaint",
        date(2026, 11, 11): "Armistice 1918",
        date(2026, 12, 25): "Noël",
    }


def test_holidays_coinciding_keep_both_names() -> None:
    holidays = french_public_holidays(2008)  # Ascension on 1 May 2008
    assert len(holidays) == 10
    assert holidays[date(2008, 5, 1)] == "Fête du Travail et Ascension"


def test_holidays_result_is_a_copy() -> None:
    french_public_holidays(2025).clear()
    assert len(french_public_holidays(2025)) == 11


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 7, 14), False),  # Monday, Fête nationale
        (date(2025, 7, 15), True),
        (date(2025, 7, 12), False),  # Saturday
        (date(2025, 7, 13), False),  # Sunday
        (date(2026, 4, 6), False),  # Easter Monday
        (date(2026, 5, 25), False),  # Whit Monday
        (date(2026, 5, 26), True),
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_next_working_day_is_identity_on_working_days() -> None:
    assert next_working_day(date(2025, 7, 15)) == date(2025, 7, 15)


def test_next_working_day_crosses_years() -> None:
    # Friday 31 Dec 2021 is a working day; Saturday 1 Jan 2022 (holiday) -> Monday 3 Jan.
    assert next_working_day(date(2021, 12, 31)) == date(2021, 12, 31)
    assert next_working_day(date(2022, 1, 1)) == date(2022, 1, 3)


# --- procedural deadlines ---------------------------------------------------------------------


def test_deadline_landing_on_14_july() -> None:
    assert date(2025, 7, 14).weekday() == 0
    assert procedural_deadline(date(2025, 6, 14), 1) == date(2025, 7, 15)


def test_deadline_landing_on_easter_monday() -> None:
    assert procedural_deadline(date(2026, 3, 6), 1) == date(2026, 4, 7)


def test_deadline_saturday_sunday_holiday_chain() -> None:
    # 4 April 2026 is Easter Saturday: Saturday, Easter Sunday, Easter Monday -> Tuesday 7.
    assert date(2026, 4, 4).weekday() == 5
    assert procedural_deadline(date(2026, 3, 4), 1) == date(2026, 4, 7)
    # Pentecost weekend 2025: Saturday 7 June, Sunday, Whit Monday 9 June -> Tuesday 10.
    assert procedural_deadline(date(2025, 5, 7), 1) == date(2025, 6, 10)


def test_deadline_month_end_then_weekend() -> None:
    # 31 Jan 2026 + 1 month = 28 Feb 2026, a Saturday -> Monday 2 March.
    assert procedural_deadline(date(2026, 1, 31), 1) == date(2026, 3, 2)


def test_deadline_on_working_day_is_unchanged() -> None:
    assert procedural_deadline(date(2025, 9, 15), 1) == date(2025, 10, 15)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)), st.integers(0, 24))
def test_deadline_is_a_working_day_within_a_few_days(start: date, months: int) -> None:
    deadline = procedural_deadline(start, months)
    assert is_working_day(deadline)
    assert timedelta(0) <= deadline - add_months(start, months) <= timedelta(days=4)


# --- Paris days -----------------------------------------------------------------------------


def test_paris_date() -> None:
    assert paris_date(datetime(2025, 6, 30, 22, 30, tzinfo=UTC)) == date(2025, 7, 1)
    assert paris_date(datetime(2025, 12, 31, 22, 30, tzinfo=UTC)) == date(2025, 12, 31)
    assert paris_date(datetime(2025, 12, 31, 23, 0, tzinfo=UTC)) == date(2026, 1, 1)
    eastern = timezone(timedelta(hours=-5))
    assert paris_date(datetime(2025, 3, 1, 19, 0, tzinfo=eastern)) == date(2025, 3, 2)


def test_paris_date_refuses_naive() -> None:
    with pytest.raises(ValueError, match="aware"):
        paris_date(datetime(2025, 1, 1))


@pytest.mark.parametrize(
    ("day", "expected_utc"),
    [
        (date(2025, 1, 15), datetime(2025, 1, 15, 23, 0, tzinfo=UTC)),  # winter, UTC+1
        (date(2025, 7, 15), datetime(2025, 7, 15, 22, 0, tzinfo=UTC)),  # summer, UTC+2
        # 30 March 2025 is the spring-forward day: it ends at 00:00 CEST on 31 March.
        (date(2025, 3, 29), datetime(2025, 3, 29, 23, 0, tzinfo=UTC)),
        (date(2025, 3, 30), datetime(2025, 3, 30, 22, 0, tzinfo=UTC)),
        # 26 October 2025 is the fall-back day: it ends at 00:00 CET on 27 October.
        (date(2025, 10, 25), datetime(2025, 10, 25, 22, 0, tzinfo=UTC)),
        (date(2025, 10, 26), datetime(2025, 10, 26, 23, 0, tzinfo=UTC)),
        (date(2025, 12, 31), datetime(2025, 12, 31, 23, 0, tzinfo=UTC)),
    ],
)
def test_end_of_paris_day(day: date, expected_utc: datetime) -> None:
    end = end_of_paris_day(day)
    assert end == expected_utc
    assert end.tzinfo is UTC


def test_dst_days_have_23_and_25_hours() -> None:
    assert end_of_paris_day(date(2025, 3, 30)) - end_of_paris_day(date(2025, 3, 29)) == timedelta(
        hours=23
    )
    assert end_of_paris_day(date(2025, 10, 26)) - end_of_paris_day(date(2025, 10, 25)) == timedelta(
        hours=25
    )


@given(st.dates(min_value=date(1980, 1, 1), max_value=date(2100, 12, 31)))
def test_end_of_paris_day_is_the_first_instant_of_the_next_day(day: date) -> None:
    end = end_of_paris_day(day)
    assert paris_date(end) == day + timedelta(days=1)
    assert paris_date(end - timedelta(microseconds=1)) == day
    assert end.astimezone(PARIS).hour == 0


def test_format_french_date() -> None:
    assert format_french_date(date(2026, 3, 1)) == "1er mars 2026"
    assert format_french_date(date(2025, 8, 15)) == "15 août 2025"
    assert format_french_date(date(2025, 12, 2)) == "2 décembre 2025"
