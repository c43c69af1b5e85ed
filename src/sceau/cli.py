"""The `sceau` console command: every Django management command, with Sceau's settings."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sceau.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:] if argv is None else argv
    execute_from_command_line(["sceau", *(args or ["help"])])


if __name__ == "__main__":
    main()
