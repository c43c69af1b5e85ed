"""`sceau pki init-test`: the test PKI (root, officer certificate, built-in TSA certificate)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sceau.notary.pki import ensure_test_pki


class Command(BaseCommand):
    help = "init-test: create (once) the TEST PKI of the demo and the tests. Never in production."

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["init-test"])

    def handle(self, *args, action: str, **options) -> None:
        if settings.CONFIG.production:
            raise CommandError("the test PKI is refused in production mode.", returncode=2)
        pki = ensure_test_pki(settings.CONFIG.data_dir / "pki")
        self.stdout.write(
            "PKI de TEST (non qualifiée, démonstration et tests uniquement) : "
            f"racine {pki.root_cert.subject.rfc4514_string()} ; "
            f"certificat d'officier {pki.officer_p12_path} ; "
            f"horodatage {pki.tsa_cert.subject.rfc4514_string()}"
        )
