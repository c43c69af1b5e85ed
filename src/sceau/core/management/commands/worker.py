"""`sceau worker`: runs the periodic jobs (purge of expired documents, orphan sweep)."""

from __future__ import annotations

import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from sceau.core.jobs import run_due_jobs


class Command(BaseCommand):
    help = "Run due jobs periodically (--once: run what is due now and exit)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--interval", type=int, default=None)

    def handle(self, *args, once: bool, interval: int | None, **options) -> None:
        interval = interval or settings.CONFIG.worker_interval_seconds
        stopping = False

        def stop(signum, frame) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while True:
            for line in run_due_jobs():
                self.stdout.write(line)
            if once or stopping:
                return
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.5)
            if stopping:
                return
