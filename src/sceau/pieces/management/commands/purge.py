"""`sceau purge`: destroy expired documents (crypto-shredding), keep tombstones, journal it."""

from __future__ import annotations

from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError

from sceau.core.dates import end_of_paris_day
from sceau.pieces.services import purge_expired


class Command(BaseCommand):
    help = (
        "Destroy every expired document. --as-of AAAA-MM-JJ rehearses: lists what would be "
        "destroyed at the end of that day, destroys nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--as-of", dest="as_of", default=None, metavar="DATE")

    def handle(self, *args, as_of: str | None, **options) -> None:
        cutoff: datetime | None = None
        if as_of is not None:
            try:
                cutoff = end_of_paris_day(date.fromisoformat(as_of))
            except (ValueError, OverflowError):  # not a date, or the last day there is
                raise CommandError(
                    f"--as-of {as_of!r}: expected a date AAAA-MM-JJ before 9999-12-31.",
                    returncode=2,
                ) from None
        report = purge_expired(cutoff)
        if report.rehearsal:
            ids = ", ".join(str(i) for i in report.due) or "aucun"
            self.stdout.write(
                f"répétition au {as_of} : {len(report.due)} document(s) seraient détruits ({ids}); "
                "rien n'a été détruit"
            )
        else:
            self.stdout.write(
                f"purge : {len(report.purged)} document(s) détruit(s) sur {len(report.due)} échu(s)"
            )
