"""Login throttling through Django's cache (local memory by default, Redis in production).

Failures are counted per key (an identifier, a client address). After the second failure each
new attempt must wait an exponentially growing delay; after ``limit`` failures the key is locked
for ``lock_seconds``. A success clears the identifier's counter (not the address's).

The count is incremented atomically (``cache.incr``: INCR on Redis), so that several application
processes sharing one Redis count every failure: a read-then-write would let concurrent
attempts overwrite each other's count and slip past the limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import BaseCache, cache

from sceau.core.errors import TooManyAttempts

MAX_BACKOFF_SECONDS = 60


@dataclass(frozen=True)
class Policy:
    limit: int
    lock_seconds: int

    @classmethod
    def from_settings(cls) -> Policy:
        return cls(
            limit=settings.CONFIG.login_failures_before_lock,
            lock_seconds=settings.CONFIG.login_lock_seconds,
        )


class Throttle:
    def __init__(
        self,
        policy: Policy | None = None,
        clock: Callable[[], float] = time.time,
        store: BaseCache | None = None,
    ):
        self.policy = policy or Policy.from_settings()
        self.clock = clock
        self.cache = store if store is not None else cache

    @staticmethod
    def _key(scope: str, value: str) -> str:
        return f"sceau:throttle:{scope}:{value}"

    def _state(self, scope: str, value: str) -> tuple[int, float] | None:
        key = self._key(scope, value)
        got = self.cache.get_many([f"{key}:n", f"{key}:t"])
        failures = got.get(f"{key}:n")
        if not failures:
            return None
        return int(failures), float(got.get(f"{key}:t") or 0)

    def check(self, keys: list[tuple[str, str]]) -> None:
        """Raise TooManyAttempts if any key is locked or still backing off."""
        now = self.clock()
        wait = 0.0
        locked = False
        for scope, value in keys:
            state = self._state(scope, value)
            if not state:
                continue
            failures, last = state
            if failures >= self.policy.limit:
                remaining = last + self.policy.lock_seconds - now
                if remaining > 0:
                    locked = True
                    wait = max(wait, remaining)
            elif failures >= 2:
                delay = min(2 ** (failures - 2), MAX_BACKOFF_SECONDS)
                wait = max(wait, last + delay - now)
        if wait > 0:
            seconds = int(wait) + 1
            if locked:
                minutes = (seconds + 59) // 60
                message = (
                    "Trop d'essais infructueux : l'accès est bloqué temporairement. "
                    f"Réessayez dans {minutes} minute{'s' if minutes > 1 else ''}, ou "
                    "contactez l'étude qui vous a signifié l'acte."
                )
            else:
                message = (
                    f"Veuillez patienter {seconds} seconde{'s' if seconds > 1 else ''} "
                    "avant un nouvel essai."
                )
            raise TooManyAttempts(seconds, message)

    def failure(self, keys: list[tuple[str, str]]) -> None:
        now = self.clock()
        timeout = self.policy.lock_seconds + MAX_BACKOFF_SECONDS * 2
        for scope, value in keys:
            key = self._key(scope, value)
            self.cache.add(f"{key}:n", 0, timeout=timeout)
            try:
                self.cache.incr(f"{key}:n")
            except ValueError:  # expired between add and incr: start again
                self.cache.set(f"{key}:n", 1, timeout=timeout)
            self.cache.touch(f"{key}:n", timeout=timeout)
            self.cache.set(f"{key}:t", now, timeout=timeout)

    def failures(self, scope: str, value: str) -> int:
        state = self._state(scope, value)
        return state[0] if state else 0

    def success(self, keys: list[tuple[str, str]]) -> None:
        for scope, value in keys:
            key = self._key(scope, value)
            self.cache.delete_many([f"{key}:n", f"{key}:t"])
