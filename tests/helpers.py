"""Helpers shared by the tests (builders and personas' secrets); fixtures live in conftest.py.

Tests import these from here, never from a conftest module.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterable, Iterator
from datetime import date

import pyotp
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

PASSWORD = "correct horse battery staple 42"

# The day the procedures' clock is frozen at in tests (a Monday, no public holiday near it):
# tests state their expected dates from this literal, never from the code's own clock.
TODAY = date(2026, 3, 2)


def make_pdf(
    text: str = "Pièce justificative",
    pages: int = 1,
    *,
    more: Iterable[str] = (),
    compress: bool = True,
    invariant: bool = False,
    title: str | None = None,
) -> bytes:
    """A PDF of ``pages`` A4 pages: ``text`` on each (``{page}`` and ``{pages}`` are filled in,
    else " — page N" is added), then the ``more`` lines. ``compress=False`` keeps the text
    findable in the bytes; ``invariant=True`` gives the same bytes for the same input."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(
        buffer, pagesize=A4, invariant=int(invariant), pageCompression=int(compress)
    )
    if title is not None:
        pdf.setTitle(title)
    for page in range(1, pages + 1):
        line = text.format(page=page, pages=pages) if "{page" in text else f"{text} — page {page}"
        pdf.drawString(72, 760, line)
        for n, extra in enumerate(more, 1):
            pdf.drawString(72, 760 - 18 * n, extra)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def chunks(data: bytes, size: int = 65536) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def otp_for(user, offset: int = 0) -> str:
    return pyotp.TOTP(user.totp_secret).at(time.time() + offset)


def deposit(officer, dossier, data: bytes, name: str = "piece.pdf", recipient_ids=None):
    """Deposit ``data`` in ``dossier`` as ``officer`` would, through the vault."""
    from sceau.pieces import services as pieces
    from sceau.vault.services import get_vault

    sealed = get_vault().seal(chunks(data))
    return pieces.deposit(officer, dossier, sealed, name, recipient_ids)


def safe_production_env(tmp_path) -> dict[str, str]:
    """An environment production mode accepts (sceau.core.config.deploy_problems finds nothing);
    tests change one variable at a time to see it refused."""
    roots = tmp_path / "roots.pem"
    roots.write_text("-----BEGIN CERTIFICATE-----\n")
    return {
        "SCEAU_PRODUCTION": "true",
        "SCEAU_SECRET_KEY": "Zq3-xY7_pL0!" * 5,
        "SCEAU_HTTPS": "true",
        "SCEAU_PUBLIC_URL": "https://mespieces.example",
        "SCEAU_ALLOWED_HOSTS": "mespieces.example",
        "DATABASE_URL": "postgresql://sceau@db.invalid/sceau",
        "SCEAU_CACHE_URL": "redis://cache.invalid:6379/0",
        "SCEAU_EMAIL": "smtp",
        "SCEAU_TSA_URL": "https://tsa.example/tsp",
        "SCEAU_TSA_ROOTS": str(roots),
        "SCEAU_TSA_QUALIFIED": "true",
        "SCEAU_TRUSTED_PROXIES": "10.0.0.5",
    }


def claim_input(**over):
    """A Petites créances claim within the ceiling, for the test office's area."""
    from sceau.creances import machine

    data = dict(
        creditor_name="Société Créancière",
        creditor_address="5 rue X\n69001 Lyon",
        debtor_name="Paul Débiteur",
        debtor_address="8 rue Y\n69003 Lyon",
        debtor_postal_code="69003",
        basis="contractual",
        description="Facture impayée n° 42 du 1er mars",
        principal="1200.00",
        interest="35.50",
        debtor_email="paul@test.fr",
    )
    data.update(over)
    return machine.ClaimInput(**data)


def signing_secret() -> str:
    """The TEST officer certificate's passphrase (typed at each signature)."""
    from django.conf import settings

    from sceau.notary.pki import ensure_test_pki

    return ensure_test_pki(settings.CONFIG.data_dir / "pki").officer_p12_passphrase.decode()
