"""`sceau accounts ...`: offices, officers and API tokens, for operators."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from sceau.core.errors import SceauError
from sceau.identity import certificates, services
from sceau.identity.models import ApiToken, Office, OfficerCertificate, User


class Command(BaseCommand):
    help = (
        "add-office NAME ADDRESS | add-officer OFFICE_ID EMAIL FULL_NAME | "
        "add-auditor EMAIL NAME | issue-token EMAIL NAME | revoke-token TOKEN_ID | "
        "add-certificate --email EMAIL --cert FILE.pem | revoke-certificate --fingerprint SHA256 | "
        "reset-totp EMAIL | list"
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        office = sub.add_parser("add-office")
        office.add_argument("name")
        office.add_argument("address")
        office.add_argument(
            "--departments",
            default="",
            metavar="69,01,42",
            help="départements of the office's court-of-appeal area (Petites créances)",
        )
        officer = sub.add_parser("add-officer")
        officer.add_argument("office_id", type=int)
        officer.add_argument("email")
        officer.add_argument("full_name")
        auditor = sub.add_parser("add-auditor")
        auditor.add_argument("email")
        auditor.add_argument("full_name")
        issue = sub.add_parser("issue-token")
        issue.add_argument("email")
        issue.add_argument("name")
        revoke = sub.add_parser("revoke-token")
        revoke.add_argument("token_id", type=int)
        add_cert = sub.add_parser("add-certificate", help="register an authentication certificate")
        add_cert.add_argument("--email", required=True)
        add_cert.add_argument("--cert", required=True, metavar="FILE.pem", help="PEM or DER")
        revoke_cert = sub.add_parser("revoke-certificate")
        revoke_cert.add_argument("--fingerprint", required=True, metavar="SHA256")
        reset = sub.add_parser("reset-totp", help="a new TOTP key for a lost authenticator")
        reset.add_argument("email")
        sub.add_parser("list")

    def handle(self, *args, action: str, **opts) -> None:
        getattr(self, "do_" + action.replace("-", "_"))(**opts)

    def do_add_office(self, name: str, address: str, departments: str = "", **_) -> None:
        codes = [d.strip().upper() for d in departments.split(",") if d.strip()]
        if any(not (d.isdigit() or d in ("2A", "2B")) or len(d) not in (2, 3) for d in codes):
            raise CommandError(
                f"--departments {departments!r}: codes like 69,01,2A,974.", returncode=2
            )
        office = services.create_office(name, address.replace("\\n", "\n"), ",".join(codes))
        self.stdout.write(f"étude {office.pk} créée : {office.name}")

    def do_add_officer(self, office_id: int, email: str, full_name: str, **_) -> None:
        office = Office.objects.filter(pk=office_id).first()
        if office is None:
            raise CommandError(f"no office {office_id}: see `sceau accounts list`.", returncode=2)
        password = secrets.token_urlsafe(15)
        try:
            user = services.create_officer(office, email, full_name, password)
        except IntegrityError:
            raise CommandError(f"{email} already has an account.", returncode=2) from None
        self.stdout.write(
            f"officier {user.pk} créé : {user.email}\n  mot de passe (à changer) : {password}\n"
            f"  secret TOTP (à saisir dans l'application d'authentification) : {user.totp_secret}"
        )

    def do_add_auditor(self, email: str, full_name: str, **_) -> None:
        password = secrets.token_urlsafe(15)
        try:
            user = services.create_officer(None, email, full_name, password, role=User.AUDITOR)
        except IntegrityError:
            raise CommandError(f"{email} already has an account.", returncode=2) from None
        self.stdout.write(f"auditeur {user.pk} créé : {user.email} (lit tout le journal)")

    def do_issue_token(self, email: str, name: str, **_) -> None:
        user = User.objects.filter(email=email.lower(), is_active=True).first()
        if user is None or not (user.is_officer or user.role == User.AUDITOR):
            raise CommandError(f"{email} is not an active officer or auditor.", returncode=2)
        self.stdout.write(services.issue_api_token(user, name))

    def do_revoke_token(self, token_id: int, **_) -> None:
        token = ApiToken.objects.filter(pk=token_id).select_related("user").first()
        if token is None:
            raise CommandError(f"no token {token_id}.", returncode=2)
        services.revoke_api_token(token.user, token.pk)
        self.stdout.write(f"jeton {token_id} révoqué")

    def do_reset_totp(self, email: str, **_) -> None:
        user = User.objects.filter(email=email.strip().lower(), is_active=True).first()
        if user is None:
            raise CommandError(
                f"no active account {email}: see `sceau accounts list`.", returncode=2
            )
        secret = services.reset_totp(user)
        self.stdout.write(
            f"nouvelle clé TOTP de {user.email} (l'ancienne ne fonctionne plus ; à transmettre "
            f"par un canal sûr, une seule fois) : {secret}"
        )

    def do_add_certificate(self, email: str, cert: str, **_) -> None:
        user = User.objects.filter(email=email.strip().lower()).first()
        if user is None:
            raise CommandError(f"no account {email}: see `sceau accounts list`.", returncode=2)
        try:
            data = Path(cert).read_bytes()
        except OSError as exc:
            raise CommandError(
                f"--cert {cert}: cannot read it ({exc.strerror}).", returncode=2
            ) from None
        try:
            row = certificates.register_certificate(user, data)
        except SceauError as exc:
            raise CommandError(exc.message, returncode=2) from None
        self.stdout.write(
            f"certificat {row.pk} enregistré pour {user.email} : {row.subject}, "
            f"empreinte SHA-256 {row.fingerprint}, valable jusqu'au {row.not_after:%Y-%m-%d}"
        )

    def do_revoke_certificate(self, fingerprint: str, **_) -> None:
        try:
            row = certificates.revoke_certificate(fingerprint)
        except SceauError as exc:
            raise CommandError(exc.message, returncode=2) from None
        self.stdout.write(f"certificat {row.pk} révoqué ({row.fingerprint}) pour {row.user.email}")

    def _certificates(self, user: User) -> None:
        for c in OfficerCertificate.objects.filter(user=user).order_by("pk"):
            state = "révoqué" if c.revoked_at else f"jusqu'au {c.not_after:%Y-%m-%d}"
            self.stdout.write(f"    certificat {c.pk} {c.fingerprint} « {c.subject} » {state}")

    def do_list(self, **_) -> None:
        for office in Office.objects.order_by("pk"):
            self.stdout.write(f"étude {office.pk} : {office.name}")
            for user in User.objects.filter(office=office).order_by("pk"):
                self.stdout.write(f"  officier {user.pk} : {user.email} ({user.full_name})")
                for t in ApiToken.objects.filter(user=user).order_by("pk"):
                    state = "révoqué" if t.revoked_at else "actif"
                    self.stdout.write(f"    jeton {t.pk} {t.prefix}… « {t.name} » {state}")
                self._certificates(user)
        for user in User.objects.filter(role=User.AUDITOR).order_by("pk"):
            self.stdout.write(f"auditeur {user.pk} : {user.email} ({user.full_name})")
            self._certificates(user)
