"""What a notice says: its canonical JSON and the PDF a person reads and prints."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from sceau.core import pdf as pdfkit
from sceau.core.dates import PARIS
from sceau.journal.canonical import canonical_json
from sceau.journal.cases import CaseRef

TITLES = {
    "provision": "Avis horodaté de mise à disposition",
    "event": "Avis horodaté",
    "consultation": "Avis horodaté de consultation",
    "first_access": "Avis horodaté de premier accès",
}
WHAT = {
    "event": "Événement de la procédure.",
    "provision": "Le document ci-dessous a été mis à disposition du destinataire.",
    "consultation": "Le destinataire a consulté le document ci-dessous.",
    "first_access": "Premier accès du destinataire au système, valant consentement à "
    "l'utilisation de la voie électronique.",
}


@dataclass(frozen=True)
class NoticeFacts:
    """Everything a notice states; ``document`` is None for a first access."""

    kind: str
    office: str
    dossier_id: int
    dossier_reference: str
    recipient_id: int
    recipient_name: str
    event_time: datetime
    journal_index: int
    detail: str = ""
    document_id: int | None = None
    document_name: str | None = None
    document_sha256: str | None = None
    available_until: datetime | None = None
    context: str = "pieces"
    party: str = ""
    case: CaseRef | None = None

    @property
    def case_ref(self) -> CaseRef:
        """The case noticed; a Mes Pièces notice without one is about its dossier."""
        if self.case is not None:
            return self.case
        if self.context != "pieces":
            raise ValueError("a Petites créances notice must name its claim: case=CaseRef.claim")
        return CaseRef.dossier(self.dossier_id)

    def as_json(self, authority: str, qualified: bool) -> dict:
        utc = self.event_time.astimezone(UTC)
        body = {
            "type": "sceau-avis-horodate/1",
            "kind": self.kind,
            "context": self.context,
            "party": self.party,
            "office": self.office,
            "dossier": {"id": self.dossier_id, "reference": self.dossier_reference},
            "recipient": {"id": self.recipient_id, "name": self.recipient_name},
            "event": {
                "what": WHAT[self.kind],
                "detail": self.detail,
                "time_utc": utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "time_paris": self.event_time.astimezone(PARIS).isoformat(),
            },
            "journal_index": self.journal_index,
            "timestamp_authority": {"name": authority, "qualified": qualified},
            "document": None,
        }
        if self.document_id is not None:
            body["document"] = {
                "id": self.document_id,
                "name": self.document_name,
                "sha256": self.document_sha256,
                "available_until": self.available_until.astimezone(UTC).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                )
                if self.available_until
                else None,
            }
        return body


def canonical(facts: NoticeFacts, authority: str, qualified: bool) -> str:
    return canonical_json(facts.as_json(authority, qualified))


def render_pdf(facts: NoticeFacts, authority: str, qualified: bool) -> bytes:
    """A one-page A4 PDF; its bytes are what the RFC 3161 token covers."""
    fonts = pdfkit.fonts()
    styles = pdfkit.styles(fonts)

    def p(text: str, style: str = "base") -> Paragraph:
        return Paragraph(pdfkit.printable(text, fonts), styles[style])

    paris = facts.event_time.astimezone(PARIS)
    rows = [
        ("Étude", facts.office),
        ("Dossier", facts.dossier_reference),
        ("Destinataire", facts.recipient_name),
        ("Événement", WHAT[facts.kind] + (f" ({facts.detail})" if facts.detail else "")),
        ("Date et heure (Paris)", paris.strftime("%d/%m/%Y à %H:%M:%S")),
        ("Date et heure (UTC)", facts.event_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")),
        ("N° au journal", str(facts.journal_index)),
    ]
    if facts.document_id is not None:
        rows += [
            ("Document", facts.document_name or ""),
            ("Empreinte SHA-256", facts.document_sha256 or ""),
        ]
        if facts.available_until:
            until = facts.available_until.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")
            rows.append(("Disponible jusqu'au", until))
    table = Table(
        [[p(k, "label"), p(v)] for k, v in rows],
        colWidths=[4.2 * cm, 12.8 * cm],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -2), 0.3, colors.HexColor("#BBBBBB")),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        ),
    )
    authority_note = (
        f"Horodatage : {authority}"
        + ("" if qualified else " — NON QUALIFIÉ au sens du règlement eIDAS")
        + ". Un jeton RFC 3161 porte sur les octets exacts de ce fichier PDF : "
        "openssl ts -verify -data avis.pdf -in avis.tsr -token_in -CAfile chaine.pem. "
        "La modification d'un seul octet fait échouer la vérification."
    )
    story = [
        p(TITLES[facts.kind], "title"),
        table,
        Spacer(1, 0.6 * cm),
        p(authority_note, "small"),
    ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=TITLES[facts.kind],
        author=facts.office,
        subject=f"Dossier {facts.dossier_reference}",
        creator="Sceau",
        invariant=1,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
    )
    doc.build(story)
    return buffer.getvalue()
