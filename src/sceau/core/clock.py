"""The one clock services read, so that tests set the time instead of reading it.

Rules that depend on the date (deadlines, the month to answer, the date a title is issued)
call :func:`now` or :func:`today`, never ``datetime.now()`` or ``timezone.now()`` directly. A
test pins the clock with :func:`frozen` and states its expected dates as literals: a wrong clock
then fails the test instead of agreeing with itself.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from sceau.core.dates import paris_date

_lock = threading.Lock()
_frozen: datetime | None = None


def now() -> datetime:
    """The current instant, aware, in UTC (the frozen one under :func:`frozen`)."""
    frozen_at = _frozen
    return frozen_at if frozen_at is not None else datetime.now(UTC)


def today() -> date:
    """Today's date in Europe/Paris, where the procedures' days are counted."""
    return paris_date(now())


@contextlib.contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Pin the clock at ``at`` (aware) for the block; for tests and rehearsals only."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("the clock is frozen at an aware datetime")
    with _lock:
        before, _frozen = _frozen, at.astimezone(UTC)
    try:
        yield
    finally:
        with _lock:
            _frozen = before


def advance(delta: timedelta) -> None:
    """Move a frozen clock forward (a test waiting a month without waiting)."""
    global _frozen
    with _lock:
        if _frozen is None:
            raise RuntimeError("only a frozen clock can be advanced")
        _frozen = _frozen + delta
