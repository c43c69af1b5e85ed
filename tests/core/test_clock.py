from datetime import UTC, date, datetime, timedelta

import pytest

from sceau.core import clock


def test_the_clock_runs_unless_frozen() -> None:
    before = datetime.now(UTC)
    assert before <= clock.now() <= datetime.now(UTC)


def test_a_frozen_clock_gives_its_instant_and_the_paris_date() -> None:
    # 23:30 UTC on 31 December is already 1 January in Paris (UTC+1 in winter).
    with clock.frozen(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)):
        assert clock.now() == datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
        assert clock.today() == date(2027, 1, 1)
        clock.advance(timedelta(days=31))
        assert clock.today() == date(2027, 2, 1)
    assert clock.today() != date(2027, 2, 1) or datetime.now(UTC).date() == date(2027, 2, 1)


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"), clock.frozen(datetime(2026, 1, 1)):
        pass
    with pytest.raises(RuntimeError):
        clock.advance(timedelta(days=1))
