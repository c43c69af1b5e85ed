"""`sceau pdf sign|validate`: PAdES signatures by an officer, and their validation report."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sceau.identity.models import User
from sceau.notary import services
from sceau.notary.errors import NotaryError


class Command(BaseCommand):
    help = (
        "sign FILE --officer EMAIL [--out FILE]: PAdES B-T/B-LT signature (the passphrase or "
        "PIN is read from SCEAU_SIGNING_SECRET or asked); validate FILE: the report."
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sign = sub.add_parser("sign")
        sign.add_argument("file")
        sign.add_argument("--officer", required=True, metavar="EMAIL")
        sign.add_argument("--out", default=None)
        sign.add_argument("--reason", default="Signature du commissaire de justice")
        sign.add_argument("--location", default="France")
        validate = sub.add_parser("validate")
        validate.add_argument("file")

    def handle(self, *args, action: str, **opts) -> None:
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file.", returncode=2)
        try:
            if action == "sign":
                self._sign(path, opts)
            else:
                self._validate(path)
        except NotaryError as exc:
            raise CommandError(exc.message, returncode=1) from None

    def _sign(self, path: Path, opts: dict) -> None:
        user = User.objects.filter(email=opts["officer"].lower(), is_active=True).first()
        if user is None or not user.is_officer:
            raise CommandError(f"{opts['officer']} is not an active officer.", returncode=2)
        secret = os.environ.get("SCEAU_SIGNING_SECRET") or getpass.getpass("Code PIN / phrase : ")
        signed = services.sign_document(
            user, path.read_bytes(), secret, reason=opts["reason"], location=opts["location"]
        )
        out = Path(opts["out"] or path.with_name(path.stem + "-signe.pdf"))
        out.write_bytes(signed)
        self.stdout.write(f"signé : {out}")

    def _validate(self, path: Path) -> None:
        reports = services.signature_report(path.read_bytes())
        for r in reports:
            state = "VALIDE" if r.ok else "NON VALIDE"
            self.stdout.write(
                f"{r.field_name} : {state} — signataire {r.signer_name}, niveau {r.level}, "
                f"horodatage {r.timestamp_time or 'aucun'}, "
                f"{'qualifié' if r.qualified else 'non qualifié'}"
                + (f" ; problèmes : {' ; '.join(r.problems)}" if r.problems else "")
            )
        if not all(r.ok for r in reports):
            raise CommandError("au moins une signature n'est pas valide.", returncode=1)
