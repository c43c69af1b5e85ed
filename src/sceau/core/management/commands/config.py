"""`sceau config [--markdown]`: the settings in force, or the README's configuration table."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from sceau.core.config import VARIABLES


def markdown_table() -> str:
    rows = ["| Variable | Défaut | Rôle |", "|---|---|---|"]
    rows += [
        f"| `{v.name}` | {f'`{v.default}`' if v.default else '(vide)'} | {v.meaning} |"
        for v in VARIABLES
    ]
    return "\n".join(rows)


class Command(BaseCommand):
    help = "Print the configuration in force (secrets hidden), or --markdown for the README."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--markdown", action="store_true")

    def handle(self, *args, markdown: bool, **options) -> None:
        if markdown:
            self.stdout.write(markdown_table())
            return
        for field, value in vars(settings.CONFIG).items():
            if field in ("secret_key", "tsa_password", "smtp_password") and value:
                value = "(caché)"
            self.stdout.write(f"{field} = {value}")
