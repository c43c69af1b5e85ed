"""The demo office, officer and dossiers that `sceau demo` seeds (never in production)."""

from __future__ import annotations

import io
import json
import os
import secrets
from pathlib import Path

from django.conf import settings
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from sceau.identity import services as identity
from sceau.identity.models import User
from sceau.pieces import services
from sceau.vault.services import get_vault


def sample_pdf(title: str, lines: list[str]) -> bytes:
    """A small one-page PDF standing for a supporting document."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setTitle(title)
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(60, 780, title)
    pdf.setFont("Helvetica", 11)
    y = 750
    for line in lines:
        pdf.drawString(60, y, line)
        y -= 18
    pdf.drawString(60, 80, "Document de démonstration — Sceau")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _chunks(data: bytes, size: int = 65536):
    for i in range(0, len(data), size):
        yield data[i : i + size]


def demo_file() -> Path:
    return settings.DATA_DIR / "demo.json"


def seed() -> dict:
    """Create the demo and return what `sceau demo --json` prints."""
    office = identity.create_office(
        "Étude Démo — Martin & Associés, commissaires de justice",
        "12 rue de la République\n69002 Lyon",
    )
    office.departments = "69,01,42"  # the Lyon court of appeal area (Petites créances)
    office.save(update_fields=["departments"])
    password = secrets.token_urlsafe(12)
    officer = identity.create_officer(
        office, "officier@etude-demo.test", "Maître Claire Martin", password
    )
    token = identity.issue_api_token(officer, "Démo : logiciel de l'étude")
    from sceau.notary.pki import ensure_test_pki
    from sceau.notary.services import use_test_certificate

    use_test_certificate(officer)
    signing_passphrase = ensure_test_pki(settings.DATA_DIR / "pki").officer_p12_passphrase
    creditor_password = secrets.token_urlsafe(12)
    demo_creditor, verification = identity.register_creditor(
        "creancier@demo.test", "Société Lyonnaise de Fournitures SAS", creditor_password
    )
    identity.verify_email(verification)
    creditor_token = identity.issue_api_token(demo_creditor, "Démo : créancier")
    plan = [
        (
            "IP-2026-0001",
            "Société Lyonnaise de Fournitures SAS",
            "Tribunal judiciaire de Lyon",
            [
                ("Jean Dupont", "3 place Bellecour\n69002 Lyon"),
                ("Marie Dupont", "3 place Bellecour\n69002 Lyon"),
            ],
        ),
        (
            "IP-2026-0002",
            "Banque Rhodanienne SA",
            "Tribunal judiciaire de Villeurbanne",
            [("Garage du Parc SARL", "45 avenue Jean Jaurès\n69100 Villeurbanne")],
        ),
    ]
    dossiers = []
    for reference, creditor, court, people in plan:
        dossier = services.create_dossier(
            officer,
            reference,
            creditor,
            court,
            [services.RecipientInput(name=n, address=a) for n, a in people],
        )
        sealed = get_vault().seal(
            _chunks(
                sample_pdf(
                    f"Facture impayée — dossier {reference}",
                    [
                        f"Créancier : {creditor}",
                        "Montant en principal : 1 250,00 EUR",
                        "Intérêts au taux légal",
                        "Échéance : 15 septembre 2026",
                    ],
                )
            )
        )
        services.deposit(officer, dossier, sealed, f"facture-{reference}.pdf")
        out = {"id": dossier.pk, "reference": reference, "recipients": []}
        for recipient in dossier.recipients.all():
            issued = services.issue_credentials(officer, recipient)
            out["recipients"].append(
                {
                    "id": recipient.pk,
                    "name": recipient.name,
                    "identifier": issued.identifier,
                    "code": issued.code,
                }
            )
        dossiers.append(out)
    return {
        "officer": {
            "email": officer.email,
            "password": password,
            "totp_secret": officer.totp_secret,
            "api_token": token,
            "signing_passphrase_test_pki": signing_passphrase.decode(),
        },
        "creditor": {
            "email": demo_creditor.email,
            "password": creditor_password,
            "totp_secret": demo_creditor.totp_secret,
            "api_token": creditor_token,
        },
        "dossiers": dossiers,
        "url": settings.CONFIG.public_url,
    }


def load_or_seed() -> dict:
    """Seed an empty instance once; later calls print the same demo again."""
    path = demo_file()
    if path.exists():
        return json.loads(path.read_text())
    if User.objects.exists():
        raise RuntimeError("this data directory already holds users that are not the demo")
    data = seed()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)
    return data
