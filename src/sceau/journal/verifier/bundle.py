"""Offline check of an evidence bundle (``sceau-verify --bundle FILE.zip``).

Like the rest of the verifier this imports neither Django nor a database: the standard library,
``cryptography`` (through the journal verifier) and the stock ``openssl`` binary for RFC 3161
tokens, exactly as the bundle's LISEZMOI.txt tells a person to do by hand.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sceau.journal.canonical import canonical_json

from .errors import InputError, VerificationError
from .export import verify_export

MANIFEST = "MANIFESTE.sha256"
MANIFEST_STAMP = "MANIFESTE.tsr"
TSA_CHAIN = "certificats/horodatage.pem"
MAX_MEMBER = 64 * 1024 * 1024


@dataclass
class BundleReport:
    files: int
    notices: int
    tokens: int
    journal_entries: int

    def summary(self) -> str:
        return (
            f"OK : dossier de preuve intègre — {self.files} fichiers, {self.notices} avis, "
            f"{self.tokens} jetons d'horodatage vérifiés, {self.journal_entries} entrées du "
            "journal prouvées"
        )


def manifest_text(files: dict[str, bytes]) -> str:
    """``sha256sum`` lines for every file of the bundle, sorted by name."""
    return "".join(f"{hashlib.sha256(files[n]).hexdigest()}  {n}\n" for n in sorted(files))


def _openssl_verify(data: Path, token: Path, chain: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise InputError("the openssl command is needed to check RFC 3161 tokens; install it")
    done = subprocess.run(
        [
            openssl,
            "ts",
            "-verify",
            "-data",
            str(data),
            "-in",
            str(token),
            "-token_in",
            "-CAfile",
            str(chain),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or "Verification: OK" not in done.stdout:
        raise VerificationError(
            f"{token.name}: the timestamp token does not verify over {data.name} "
            f"({(done.stdout + done.stderr).strip().splitlines()[-1:]})"
        )


def _extract(path: Path, into: Path) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: not a readable zip file ({exc})") from None
    files: dict[str, bytes] = {}
    with archive:
        for info in archive.infolist():
            name = PurePosixPath(info.filename)
            if info.is_dir():
                continue
            if name.is_absolute() or ".." in name.parts or info.file_size > MAX_MEMBER:
                raise VerificationError(f"{info.filename}: unexpected path or size in the bundle")
            data = archive.read(info)
            files[str(name)] = data
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    return files


def verify_bundle(path: Path) -> BundleReport:
    """Check every file of the bundle; raise VerificationError naming the first problem."""
    with tempfile.TemporaryDirectory(prefix="sceau-bundle-") as tmp:
        root = Path(tmp)
        files = _extract(path, root)
        for needed in (MANIFEST, MANIFEST_STAMP, TSA_CHAIN, "journal/tree-head.json"):
            if needed not in files:
                raise InputError(f"the bundle lacks {needed}")
        covered = {n: d for n, d in files.items() if n not in (MANIFEST, MANIFEST_STAMP)}
        # 1. the manifest is timestamped, and lists exactly the other files with their hashes
        _openssl_verify(root / MANIFEST, root / MANIFEST_STAMP, root / TSA_CHAIN)
        if files[MANIFEST].decode("utf-8", "replace") != manifest_text(covered):
            listed = {}
            for line in files[MANIFEST].decode("utf-8", "replace").splitlines():
                digest, _, name = line.partition("  ")
                listed[name] = digest
            for name in sorted(set(listed) | set(covered)):
                if name not in covered:
                    raise VerificationError(f"{name}: listed in the manifest but missing")
                if name not in listed:
                    raise VerificationError(f"{name}: added after the bundle was made")
                if listed[name] != hashlib.sha256(covered[name]).hexdigest():
                    raise VerificationError(f"{name}: altered (its SHA-256 differs)")
            raise VerificationError(f"{MANIFEST}: not in the expected form")
        # 2. the journal entries of the dossier, each with its inclusion proof
        journal = verify_export(root / "journal")
        indices = {
            json.loads(line)["index"]
            for line in files.get("journal/entries.jsonl", b"").decode().splitlines()
            if line.strip()
        }
        # 3. every notice: canonical JSON, its PDF's token, its event in the journal
        fingerprints = {
            line.split("  ", 1)[0]
            for line in files.get("documents/empreintes.sha256", b"").decode().splitlines()
            if line.strip()
        }
        notices = sorted(n for n in files if n.startswith("avis/") and n.endswith(".json"))
        tokens = 0
        for name in notices:
            stem = name[: -len(".json")]
            text = files[name].decode("utf-8")
            body = json.loads(text)
            if canonical_json(body) != text:
                raise VerificationError(f"{name}: not canonical JSON")
            if body.get("journal_index") not in indices:
                raise VerificationError(f"{name}: its event is not among the journal entries")
            document = body.get("document")
            if document and document.get("sha256") not in fingerprints:
                raise VerificationError(f"{name}: document fingerprint not in the bundle's list")
            if f"{stem}.pdf" not in files:
                raise VerificationError(f"{stem}.pdf: missing")
            if f"{stem}.tsr" in files:
                _openssl_verify(root / f"{stem}.pdf", root / f"{stem}.tsr", root / TSA_CHAIN)
                tokens += 1
        return BundleReport(len(files), len(notices), tokens + 1, journal.entries)
