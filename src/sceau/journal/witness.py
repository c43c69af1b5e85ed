"""A witness of transparency logs (c2sp.org/tlog-witness), Django-free.

An operator who signs tree heads alone could show one history to a debtor and another to a
judge. A witness keeps, for each log it watches, the latest checkpoint it cosigned, and cosigns a
new one only with a consistency proof from that one: two diverging histories can never both be
cosigned. Any office, the national chamber or a court can run one (`sceau witness serve`) and
any Sceau instance can be pointed at it (`SCEAU_WITNESSES`).

Protocol (tlog-witness): ``POST /add-checkpoint`` with the body::

    old <size the submitter believes the witness has>
    <base64 consistency proof hash, one a line>

    <the new checkpoint, a signed note>

Answers: 200 with the cosignature line (c2sp.org/tlog-cosignature); 409 with the witness's size
(``text/x.tlog.size``) when ``old`` is not it; 422 when the proof does not verify (a fork);
403 when the log's signature does not verify; 404 for an unknown log; 400 for a malformed
request.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sceau.journal import merkle, note

MAX_BODY = 64 * 1024
SIZE_TYPE = "text/x.tlog.size"


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


class WitnessState:
    """The latest (size, root) cosigned per log origin, in one JSON file shared by processes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = directory / "state.json"
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def locked(self) -> Iterator[dict[str, Any]]:
        """The state, locked against other threads and processes; saved if changed."""
        with self._lock, open(self.directory / "state.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                state = json.loads(self.path.read_text()) if self.path.exists() else {}
                before = json.dumps(state, sort_keys=True)
                yield state
                if json.dumps(state, sort_keys=True) != before:
                    tmp = self.path.with_suffix(".tmp")
                    tmp.write_text(json.dumps(state, sort_keys=True))
                    with open(tmp, "rb") as written:
                        os.fsync(written.fileno())
                    os.replace(tmp, self.path)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The witness's Ed25519 key (a 32-byte seed in a 0600 file, created once)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(os.urandom(32))
    return Ed25519PrivateKey.from_private_bytes(path.read_bytes())


class Witness:
    """Checks and cosigns checkpoints of the logs it knows (origin -> log verifier key)."""

    def __init__(
        self,
        name: str,
        key: Ed25519PrivateKey,
        logs: Iterable[str],
        state: WitnessState,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.key = key
        self.logs = {note.parse_verifier_key(vkey)[0]: vkey for vkey in logs}
        self.state = state
        self.clock = clock

    @property
    def vkey(self) -> str:
        return note.verifier_key(self.name, self.key.public_key(), note.COSIGNATURE)

    def add_checkpoint(self, body: bytes) -> Answer:
        try:
            old, proof, checkpoint_note = _parse_request(body)
        except ValueError as exc:
            return Answer(400, f"{exc}\n")
        origin = checkpoint_note.split("\n", 1)[0]
        vkey = self.logs.get(origin)
        if vkey is None:
            return Answer(404, f"unknown log {origin[:100]!r}\n")
        try:
            text, _ = note.open_note(checkpoint_note, [vkey])
            checkpoint = note.parse_checkpoint(text)
        except note.CheckpointError as exc:
            return Answer(403, f"checkpoint refused: {exc}\n")
        if checkpoint.origin != origin:
            return Answer(400, "the checkpoint's origin is not its first line\n")
        if old > checkpoint.size:
            return Answer(400, "old size is larger than the checkpoint's size\n")
        with self.state.locked() as state:
            known = state.get(origin, {"size": 0, "root": ""})
            if old != known["size"]:
                return Answer(409, f"{known['size']}\n", SIZE_TYPE)
            try:
                self._check_consistency(known, checkpoint, proof)
            except merkle.ProofError as exc:
                return Answer(422, f"inconsistent with the cosigned checkpoint: {exc.reason}\n")
            state[origin] = {"size": checkpoint.size, "root": checkpoint.root_hash.hex()}
        line = note.cosign(text, self.name, self.key, int(self.clock()))
        return Answer(200, line)

    @staticmethod
    def _check_consistency(known: dict[str, Any], checkpoint: note.Checkpoint, proof) -> None:
        if known["size"] == 0:
            if proof:
                raise merkle.ProofError("no proof is needed from an empty tree")
            return
        merkle.verify_consistency(
            known["size"],
            checkpoint.size,
            bytes.fromhex(known["root"]),
            checkpoint.root_hash,
            proof,
        )

    def wsgi(self, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        """The witness as a WSGI application (one route)."""
        path = environ.get("PATH_INFO", "")
        if path != "/add-checkpoint":
            answer = Answer(404, "not found\n")
        elif environ.get("REQUEST_METHOD") != "POST":
            answer = Answer(405, "POST only\n")
        else:
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY:
                answer = Answer(400 if length < 0 else 413, "bad length\n")
            else:
                answer = self.add_checkpoint(environ["wsgi.input"].read(length))
        data = answer.body.encode()
        reason = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found"}.get(
            answer.status,
            {405: "Method Not Allowed", 409: "Conflict", 413: "Too Large"}.get(
                answer.status, "Unprocessable Entity"
            ),
        )
        start_response(
            f"{answer.status} {reason}",
            [("Content-Type", answer.content_type), ("Content-Length", str(len(data)))],
        )
        return [data]


def _parse_request(body: bytes) -> tuple[int, list[bytes], str]:
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise ValueError("the request is not UTF-8") from None
    head, sep, checkpoint_note = text.partition("\n\n")
    if not sep:
        raise ValueError("no blank line between the proof and the checkpoint")
    lines = head.split("\n")
    word, _, size_text = lines[0].partition(" ")
    if word != "old" or not size_text.isascii() or not size_text.isdigit():
        raise ValueError("the first line must be 'old <size>'")
    proof = []
    for line in lines[1:]:
        try:
            value = base64.b64decode(line, validate=True)
        except binascii.Error:
            raise ValueError("a proof line is not base64") from None
        if len(value) != 32:
            raise ValueError("a proof hash is not 32 bytes")
        proof.append(value)
    return int(size_text), proof, checkpoint_note


def request_body(old_size: int, proof: Iterable[bytes], checkpoint_note: str) -> bytes:
    """What a log sends to ``/add-checkpoint``."""
    lines = [f"old {old_size}"] + [base64.b64encode(h).decode() for h in proof]
    return ("\n".join(lines) + "\n\n" + checkpoint_note).encode()
