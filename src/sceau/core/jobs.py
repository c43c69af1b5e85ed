"""The registry of the periodic jobs `sceau worker` runs; each app registers its own.

A job is a function returning a one-line summary. Apps call :func:`register_job` in their
``AppConfig.ready()`` (warehouse's ``includeme``), so the kernel knows no app: it runs what it
was given, in the order given by each job's ``order``, one failing job never stopping the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[], str]
    every_seconds: int  # minimum seconds between two runs (0: every round)
    order: int  # rounds run jobs by increasing order


_JOBS: dict[str, Job] = {}


def register_job(name: str, run: Callable[[], str], *, every_seconds: int = 0, order: int) -> None:
    """Register (once) a periodic job; a second job of the same name is a programming error."""
    known = _JOBS.get(name)
    if known is not None and known.run is not run:
        raise RuntimeError(f"job {name!r} registered twice")
    _JOBS[name] = Job(name, run, every_seconds, order)


def jobs() -> list[Job]:
    return sorted(_JOBS.values(), key=lambda job: (job.order, job.name))


def run_due_jobs() -> list[str]:
    lines = []
    for job in jobs():
        if job.every_seconds and not cache.add(
            f"sceau:job:{job.name}", 1, timeout=job.every_seconds
        ):
            continue
        try:
            lines.append(job.run())
        except Exception as exc:  # one failing job must not stop the others; it is logged
            log.exception("job %s failed", job.name)
            lines.append(f"{job.name}: ÉCHEC ({exc.__class__.__name__}: {exc})")
    return lines
