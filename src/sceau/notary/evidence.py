"""The evidence bundle of a case: everything a third party needs to check it offline.

The notary builds it from what the case's app gives (its reference, office and documents'
facts); the journal entries and notices are found by the case reference. Mes Pièces assembles
a dossier's bundle in ``sceau.pieces.evidence``.
"""

from __future__ import annotations

import io
import json
import zipfile

from sceau.journal import signing, transparency
from sceau.journal.cases import CaseRef
from sceau.journal.services import entries_for
from sceau.journal.verifier.bundle import MANIFEST, MANIFEST_STAMP, manifest_text
from sceau.notary import services as notary

README = """\
DOSSIER DE PREUVE — {reference}
Produit par Sceau le {made_at} (UTC), étude : {office}

Ce fichier zip permet de vérifier, sans faire confiance au serveur de l'étude :

1. documents/empreintes.sha256
   L'empreinte SHA-256 de chaque document déposé. Pour vérifier un document que vous avez
   téléchargé :  sha256sum -c documents/empreintes.sha256   (dans le dossier des fichiers)
   ou comparez  sha256sum FICHIER  à la ligne correspondante.

2. avis/AVIS.pdf, avis/AVIS.tsr, avis/AVIS.json
   Chaque avis horodaté de mise à disposition, de consultation ou de premier accès : le PDF
   lisible, sa forme JSON, et le jeton d'horodatage RFC 3161 qui porte sur les octets du PDF.
       openssl ts -verify -data avis/AVIS.pdf -in avis/AVIS.tsr -token_in \\
                  -CAfile certificats/horodatage.pem
   doit afficher « Verification: OK ». Modifier un seul octet du PDF fait échouer la
   vérification. Autorité d'horodatage : {authority}.

3. journal/
   Les entrées du journal qui concernent ce dossier (entries.jsonl), chacune avec sa preuve
   d'inclusion dans l'arbre de Merkle du journal, l'en-tête d'arbre signé (tree-head.json) et les
   clés publiques qui le signent (public-keys.pem).
       sceau-verify journal/
   vérifie la signature, la forme de chaque entrée et chaque preuve d'inclusion (RFC 9162).

4. MANIFESTE.sha256 et MANIFESTE.tsr
   L'empreinte de chaque fichier de ce zip, horodatée : sha256sum -c MANIFESTE.sha256 puis
       openssl ts -verify -data MANIFESTE.sha256 -in MANIFESTE.tsr -token_in \
                  -CAfile certificats/horodatage.pem
   Tout à la fois :  sceau-verify --bundle ce-fichier.zip  vérifie le manifeste, chaque jeton
   d'horodatage, chaque avis et le journal, hors ligne ; un seul fichier modifié le fait échouer.

5. Les documents signés (titre exécutoire, procès-verbaux) se vérifient avec un validateur de
   signatures PDF (Adobe Acrobat Reader, ou  pdfsig FICHIER.pdf  de poppler).
"""


class _Members:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def writestr(self, name: str, data: str | bytes) -> None:
        self.files[name] = data.encode() if isinstance(data, str) else data


def build_bundle(case: CaseRef, *, reference: str, office: str, documents: list[dict]) -> bytes:
    """The zip, in memory (a case's notices and journal are small). ``documents`` are the
    facts of each document (id, name, sha256, size, deposited_at, expires_at, purged_at)."""
    from datetime import UTC, datetime

    head = transparency.make_tree_head()
    stamper = notary.get_timestamper()
    # Members are gathered first: the timestamped manifest covers them all.
    files: dict[str, bytes] = {}
    zf = _Members(files)
    zf.writestr(
        "documents/empreintes.sha256",
        "".join(f"{d['sha256']}  {d['name']}\n" for d in documents),
    )
    zf.writestr("documents/documents.json", json.dumps(documents, ensure_ascii=False, indent=2))
    for n in notary.notices_for_case(case):
        zf.writestr(f"avis/{n.pk}.json", n.canonical)
        zf.writestr(f"avis/{n.pk}.pdf", bytes(n.pdf))
        if not n.pending:
            zf.writestr(f"avis/{n.pk}.tsr", bytes(n.token))
    entries = entries_for(case).filter(index__lt=head.tree_size)
    lines = []
    for entry in entries:
        line = transparency.export_line(entry)
        line["inclusion"] = [
            h.hex() for h in transparency.inclusion_proof(entry.index, head.tree_size)
        ]
        lines.append(json.dumps(line, ensure_ascii=False))
    zf.writestr("journal/entries.jsonl", "".join(f"{ln}\n" for ln in lines))
    zf.writestr("journal/tree-head.json", json.dumps(head.as_json(), indent=2) + "\n")
    zf.writestr("journal/public-keys.pem", signing.public_keys_pem())
    zf.writestr("certificats/horodatage.pem", stamper.certificates_pem())
    zf.writestr(
        "LISEZMOI.txt",
        README.format(
            reference=reference,
            made_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            office=office,
            authority=stamper.label,
        ),
    )
    manifest = manifest_text(files).encode()
    token = stamper.stamp(manifest).token
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(name, files[name])
        archive.writestr(MANIFEST, manifest)
        archive.writestr(MANIFEST_STAMP, token)
    return buffer.getvalue()
