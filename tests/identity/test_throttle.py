import pytest
import redis

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


REDIS_URL = "redis://127.0.0.1:6379/15"

_HAMMER = """
import sys, django
from django.conf import settings
settings.configure(CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                       "LOCATION": sys.argv[1]}})
django.setup()
from django.core.cache import cache
from sceau.identity.throttle import Policy, Throttle
t = Throttle(Policy(limit=1000, lock_seconds=60), store=cache)
for _ in range(int(sys.argv[3])):
    t.failure([("ip", sys.argv[2])])
"""


def _redis_cache():
    from django.core.cache.backends.redis import RedisCache

    store = RedisCache(REDIS_URL, {})
    try:
        store.get("ping")
    except redis.exceptions.RedisError as exc:  # the suite needs the local Redis: say so
        pytest.fail(f"Redis at {REDIS_URL} is not answering ({exc}); run `make services`.")
    return store


def test_limits_hold_across_processes_sharing_redis():
    """Four processes failing at once on one Redis: every failure is counted, none lost."""
    import subprocess
    import sys
    import uuid

    store = _redis_cache()
    address = f"198.51.100.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:8]}"
    procs = [
        subprocess.Popen([sys.executable, "-c", _HAMMER, REDIS_URL, address, "50"])
        for _ in range(4)
    ]
    assert all(p.wait(timeout=60) == 0 for p in procs)
    throttle = Throttle(Policy(limit=200, lock_seconds=60), store=store)
    assert throttle.failures("ip", address) == 200
    with pytest.raises(TooManyAttempts):  # a fifth process sees the lock at once
        throttle.check([("ip", address)])
    throttle.success([("ip", address)])
    assert throttle.failures("ip", address) == 0
