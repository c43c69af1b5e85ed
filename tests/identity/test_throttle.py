import pytest

from sceau.core.errors import TooManyAttempts
from sceau.identity.throttle import Policy, Throttle


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_backoff_grows_then_locks_then_releases():
    clock = Clock()
    t = Throttle(Policy(limit=4, lock_seconds=900), clock)
    keys = [("credential", "MP-X"), ("ip", "1.2.3.4")]
    t.check(keys)
    t.failure(keys)
    t.check(keys)  # one failure: no wait yet
    t.failure(keys)
    with pytest.raises(TooManyAttempts) as caught:
        t.check(keys)
    assert caught.value.retry_after == 2  # 1 s backoff, rounded up
    clock.now += 1.5
    t.check(keys)
    t.failure(keys)
    clock.now += 1.5
    with pytest.raises(TooManyAttempts):  # backoff doubled to 2 s
        t.check(keys)
    clock.now += 1
    t.failure(keys)  # fourth failure: locked
    clock.now += 60
    with pytest.raises(TooManyAttempts) as caught:
        t.check(keys)
    assert "bloqué" in caught.value.message
    clock.now += 900
    t.check(keys)


def test_success_clears_only_the_given_keys():
    clock = Clock()
    t = Throttle(Policy(limit=2, lock_seconds=60), clock)
    t.failure([("credential", "A"), ("ip", "9")])
    t.failure([("credential", "A"), ("ip", "9")])
    t.success([("credential", "A")])
    t.check([("credential", "A")])
    with pytest.raises(TooManyAttempts):
        t.check([("ip", "9")])
