"""Witnesses: a real `sceau witness serve` process on loopback cosigns this instance's log.

The log side is this test's Sceau (its database and signing key); the witness is a second
Sceau process with its own data directory, reached over HTTP as any office or court would run it.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from sceau.journal import checkpoint, merkle, note, signing, transparency, witness, witnessing
from sceau.journal.events import JournalEvent
from sceau.journal.models import Cosignature, JournalEntry, WitnessView
from sceau.journal.services import Actor, record

SCEAU = Path(sys.executable).with_name("sceau")
WITNESS_NAME = "temoin.chambre.example"

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def log_vkey() -> str:
    record(Actor.system(), "test:thing:done")  # the signing key exists once a head is signed
    transparency.make_tree_head()
    return checkpoint.verifier_keys()[0]


@pytest.fixture
def running_witness(tmp_path: Path, log_vkey: str) -> Iterator[witnessing.Witness]:
    """`sceau witness serve` in its own data directory, witnessing this test's log."""
    env = {**os.environ, "SCEAU_DATA_DIR": str(tmp_path / "witness-instance")}
    env.pop("DATABASE_URL", None)  # the witness keeps its state in files, not in our database
    vkey = subprocess.run(
        [SCEAU, "witness", "vkey", "--name", WITNESS_NAME],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    port = _free_port()
    process = subprocess.Popen(
        [SCEAU, "witness", "serve", "--name", WITNESS_NAME, "--log", log_vkey, "--port", f"{port}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"{url}/add-checkpoint", timeout=1)
            break
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the witness did not start: {process.stdout.read()}")
            time.sleep(0.2)
    try:
        yield witnessing.configured(((url, vkey),))[0]
    finally:
        process.terminate()
        process.wait(timeout=10)


def _grow_and_sign(n: int):
    for _ in range(n):
        record(Actor.system(), "test:thing:done")
    return transparency.make_tree_head()


def test_the_witness_cosigns_a_growing_log(running_witness, log_vkey, client) -> None:
    first = _grow_and_sign(4)
    assert witnessing.submit(first, [running_witness]) == [
        f"{WITNESS_NAME} : taille {first.tree_size} cosignée"
    ]
    second = _grow_and_sign(7)  # the witness needs the consistency proof from `first`
    assert witnessing.submit(second, [running_witness]) == [
        f"{WITNESS_NAME} : taille {second.tree_size} cosignée"
    ]
    assert WitnessView.objects.get(witness=WITNESS_NAME).size == second.tree_size
    served = client.get(f"/api/v1/journal/checkpoint?tree_size={second.tree_size}")
    text = served.content.decode()
    body, signers = note.open_note(text, [log_vkey, running_witness.vkey])
    assert signers == [checkpoint.origin(), WITNESS_NAME]
    assert note.parse_checkpoint(body).size == second.tree_size
    # A cosignature is checked against the witness's key: another key is refused.
    stranger = note.verifier_key(WITNESS_NAME, signing.current()[1].public_key(), note.COSIGNATURE)
    with pytest.raises(note.CheckpointError, match=r"does not verify|not signed"):
        note.open_note(text, [log_vkey, stranger])
    # Submitting again asks nothing of the witness.
    assert witnessing.submit(second, [running_witness]) == [
        f"{WITNESS_NAME} : taille {second.tree_size} déjà cosignée"
    ]


def _forked_checkpoint(size: int, rewritten: int) -> tuple[str, list[bytes]]:
    """A checkpoint of the same origin, signed with the log's own key, over the log's leaves
    with entry ``rewritten`` changed: the split view a dishonest operator would show."""
    leaves = [
        bytes.fromhex(h)
        for h in JournalEntry.objects.order_by("index").values_list("leaf_hash", flat=True)
    ][:size]
    leaves[rewritten] = hashlib.sha256(b"\x00" + b'{"rewritten":true}').digest()
    compact = merkle.CompactRange()
    for leaf in leaves:
        compact.append(leaf)
    body = note.Checkpoint(checkpoint.origin(), size, compact.root()).body()
    return note.sign_note(body, checkpoint.origin(), signing.current()[1]), leaves


def test_a_forked_log_is_refused_and_the_refusal_journaled(running_witness, log_vkey) -> None:
    honest = _grow_and_sign(6)
    forked, _ = _forked_checkpoint(honest.tree_size, rewritten=2)
    # The operator shows the fork to the witness first: a fresh witness cosigns it...
    first = requests.post(
        f"{running_witness.url}/add-checkpoint",
        data=witness.request_body(0, [], forked),
        timeout=10,
    )
    assert first.status_code == 200
    # ...and then can never cosign the honest history of the same size.
    lines = witnessing.submit(honest, [running_witness])
    assert lines[0].startswith(f"{WITNESS_NAME} : taille {honest.tree_size} NON cosignée (422")
    refusal = JournalEntry.objects.filter(action=JournalEvent.WITNESS_REFUSED).get()
    assert refusal.object_id == WITNESS_NAME
    assert refusal.details["status"] == 422 and refusal.details["tree_size"] == honest.tree_size
    assert not Cosignature.objects.filter(tree_size=honest.tree_size).exists()
    # The same refusal next round is not journaled again.
    witnessing.submit(honest, [running_witness])
    assert JournalEntry.objects.filter(action=JournalEvent.WITNESS_REFUSED).count() == 1


def test_the_witness_answers_the_protocol_errors(running_witness, log_vkey) -> None:
    head = _grow_and_sign(3)
    good = checkpoint.checkpoint_text(head)
    url = f"{running_witness.url}/add-checkpoint"

    def post(data: bytes) -> requests.Response:
        return requests.post(url, data=data, timeout=10)

    assert post(b"garbage").status_code == 400
    assert post(witness.request_body(head.tree_size + 1, [], good)).status_code == 400
    stranger = note.sign_note(
        note.Checkpoint("ailleurs.example/log", 1, bytes(32)).body(),
        "ailleurs.example/log",
        signing.current()[1],
    )
    assert post(witness.request_body(0, [], stranger)).status_code == 404
    tampered = good.replace(f"\n{head.tree_size}\n", f"\n{head.tree_size + 1}\n", 1)
    assert post(witness.request_body(0, [], tampered)).status_code == 403
    assert post(witness.request_body(0, [], good)).status_code == 200
    stale = post(witness.request_body(0, [], good))
    assert stale.status_code == 409
    assert stale.headers["Content-Type"] == "text/x.tlog.size"
    assert stale.text.strip() == str(head.tree_size)


def test_an_unreachable_witness_blocks_nothing_and_is_shown(log_vkey) -> None:
    gone = witnessing.configured(
        (
            (
                f"http://127.0.0.1:{_free_port()}",
                note.verifier_key(
                    WITNESS_NAME, signing.current()[1].public_key(), note.COSIGNATURE
                ),
            ),
        )
    )
    head = _grow_and_sign(2)
    assert "NON cosignée (unreachable" in witnessing.submit(head, gone)[0]
    view = WitnessView.objects.get(witness=WITNESS_NAME)
    assert view.last_error.startswith("unreachable") and view.last_error_at is not None
    assert not JournalEntry.objects.filter(action=JournalEvent.WITNESS_REFUSED).exists()
    record(Actor.system(), "test:thing:done")  # the log goes on
