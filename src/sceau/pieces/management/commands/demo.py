"""`sceau demo [--json] [--otp]`: migrate, seed the demo office once, print its logins."""

from __future__ import annotations

import json as _json

import pyotp
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from sceau.identity.access import access_url
from sceau.pieces import demo


class Command(BaseCommand):
    help = "Seed the demo (office, officer, two dossiers) into an empty instance and print it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--otp", action="store_true", help="print the officer's TOTP now")

    def handle(self, *args, otp: bool, **options) -> None:
        as_json = options["json"]
        if settings.CONFIG.production:
            raise CommandError("the demo is refused in production mode.", returncode=2)
        call_command("migrate", interactive=False, verbosity=0)
        try:
            data = demo.load_or_seed()
        except RuntimeError as exc:
            raise CommandError(str(exc), returncode=2) from None
        if otp:
            self.stdout.write(pyotp.TOTP(data["officer"]["totp_secret"]).now())
        elif as_json:
            self.stdout.write(_json.dumps(data, ensure_ascii=False))
        else:
            self._human(data)

    def _human(self, data: dict) -> None:
        o = data["officer"]
        w = self.stdout.write
        w("Démo Sceau (données de démonstration, jamais en production)")
        w(f"  Espace étude : {data['url']}/connexion/")
        w(f"    adresse : {o['email']}")
        w(f"    mot de passe : {o['password']}")
        w(f"    secret TOTP : {o['totp_secret']}  (code du moment : sceau demo --otp)")
        w(f"    jeton API : {o['api_token']}")
        w(f"    phrase du certificat de signature de TEST : {o['signing_passphrase_test_pki']}")
        c = data.get("creditor")
        if c:
            w(f"  Créancier (Petites créances) : {data['url']}/connexion/")
            w(f"    adresse : {c['email']}")
            w(f"    mot de passe : {c['password']}")
            w(f"    secret TOTP : {c['totp_secret']}")
            w(f"    jeton API : {c['api_token']}")
        w(f"  Espace destinataire : {access_url(data['url'])}")
        for d in data["dossiers"]:
            for r in d["recipients"]:
                w(
                    f"    {d['reference']} — {r['name']} : identifiant {r['identifier']}, "
                    f"code {r['code']}"
                )
