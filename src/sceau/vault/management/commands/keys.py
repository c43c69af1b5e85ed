"""`sceau keys rotate|list`: key-encryption keys of the vault."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from sceau.vault import services


class Command(BaseCommand):
    help = "rotate: new current key, rewrap every data key (blobs untouched). list: key ids."

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["rotate", "list"])

    def handle(self, *args, action: str, **options) -> None:
        keys = services.get_keys()
        if action == "list":
            current = keys.current_key_id()
            for key_id in keys.key_ids():
                self.stdout.write(f"{key_id}{'  (courante)' if key_id == current else ''}")
            return
        try:
            new_id, count = services.rotate_keys()
        except OSError as exc:
            raise CommandError(f"rotation impossible : {exc}", returncode=1) from None
        self.stdout.write(f"clé courante : {new_id} ; {count} clé(s) de données réemballée(s)")
