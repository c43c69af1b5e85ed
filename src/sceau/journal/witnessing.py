"""Submitting the journal's checkpoints to its witnesses (c2sp.org/tlog-witness).

Run by `sceau worker`, never inside a business transaction: a witness that cannot be reached
delays its cosignature (shown by `sceau check`) and blocks nothing else. A witness that
*refuses* a checkpoint (an inconsistent history, a bad signature) is journaled, once per
distinct refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sceau.journal import checkpoint, note, transparency, witness
from sceau.journal.events import JournalEvent
from sceau.journal.models import Cosignature, TreeHead, WitnessView
from sceau.journal.services import Actor, record

TIMEOUT = 10.0  # seconds for one request to a witness


@dataclass(frozen=True)
class Witness:
    url: str
    key: note.VerifierKey
    vkey: str

    @property
    def name(self) -> str:
        return self.key.name


def configured(pairs: tuple[tuple[str, str], ...] | None = None) -> list[Witness]:
    """The witnesses of ``SCEAU_WITNESSES`` (or ``pairs``), their keys checked."""
    found = []
    for url, vkey in settings.CONFIG.witnesses if pairs is None else pairs:
        key = note.parse_any_verifier_key(vkey)
        if key.kind != note.COSIGNATURE:
            raise note.CheckpointError(f"{key.name}: not a witness's cosignature key")
        found.append(Witness(url, key, vkey))
    return found


def submit(head: TreeHead | None = None, witnesses: list[Witness] | None = None) -> list[str]:
    """Submit the latest signed head to every witness that has not cosigned it; one summary
    line per witness."""
    head = head or transparency.latest_tree_head()
    if head is None:
        return []
    lines = []
    for w in configured() if witnesses is None else witnesses:
        if Cosignature.objects.filter(witness=w.name, tree_size=head.tree_size).exists():
            lines.append(f"{w.name} : taille {head.tree_size} déjà cosignée")
            continue
        lines.append(_submit_one(w, head))
    return lines


def _submit_one(w: Witness, head: TreeHead) -> str:
    signed = checkpoint.checkpoint_text(head)
    view, _ = WitnessView.objects.get_or_create(witness=w.name)
    for _attempt in range(2):  # a 409 tells the witness's size: one more try from it
        old = view.size
        if old > head.tree_size:
            return _failed(w, view, head, 409, f"the witness has size {old}, ahead of this log")
        proof = transparency.consistency_proof(old, head.tree_size) if old else []
        try:
            answer = requests.post(
                f"{w.url}/add-checkpoint",
                data=witness.request_body(old, proof, signed),
                headers={"Content-Type": "text/plain; charset=utf-8"},
                timeout=TIMEOUT,
            )
        except requests.RequestException as exc:
            return _failed(w, view, head, 0, f"unreachable: {exc.__class__.__name__}")
        if answer.status_code == 409 and answer.text.strip().isdigit():
            view.size = int(answer.text.strip())
            view.save(update_fields=["size"])
            continue
        if answer.status_code != 200:
            return _failed(w, view, head, answer.status_code, answer.text.strip()[:200])
        line = answer.text if answer.text.endswith("\n") else answer.text + "\n"
        try:
            note.open_note(signed + line, [w.vkey])
            at = note.cosignature_time(line)
        except note.CheckpointError as exc:
            return _failed(w, view, head, 200, f"bad cosignature: {exc}")
        with transaction.atomic():
            Cosignature.objects.get_or_create(
                witness=w.name,
                tree_size=head.tree_size,
                defaults={"line": line, "cosigned_at": datetime.fromtimestamp(at, UTC)},
            )
            view.size, view.cosigned_at, view.last_error = head.tree_size, timezone.now(), ""
            view.save(update_fields=["size", "cosigned_at", "last_error"])
        return f"{w.name} : taille {head.tree_size} cosignée"
    return _failed(w, view, head, 409, "the witness's size keeps changing")


def _failed(w: Witness, view: WitnessView, head: TreeHead, status: int, reason: str) -> str:
    error = f"{status} {reason}"[:300] if status else reason[:300]
    with transaction.atomic():
        if status and view.last_error != error:  # reachable, and said no (or answered wrong)
            record(
                Actor.system("sceau witnessing"),
                JournalEvent.WITNESS_REFUSED,
                object_kind="witness",
                object_id=w.name,
                details={"tree_size": head.tree_size, "status": status, "reason": reason[:200]},
            )
        view.last_error, view.last_error_at = error, timezone.now()
        view.save(update_fields=["last_error", "last_error_at"])
    return f"{w.name} : taille {head.tree_size} NON cosignée ({error})"
