"""Checkpoints in the C2SP format, checked by Sceau's own code and by Go's sumdb/note and tlog.

The Go program (tests/journal/go/checkcheckpoint.go) is built by the test itself in GOPATH mode
against Debian's golang-golang-x-mod-dev (installed by `make sysdeps`), so the format is proved
with a verifier that nobody here wrote.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from sceau.journal import note, transparency
from sceau.journal.services import Actor, record

GO_SOURCE = Path(__file__).parent / "go" / "checkcheckpoint.go"
GOPATH = "/usr/share/gocode"  # Debian's golang-golang-x-mod-dev puts golang.org/x/mod here


def origin_line() -> str:
    """The origin line for this run's public address: its host and port, then /journal."""
    return urlsplit(settings.CONFIG.public_url).netloc + "/journal"


@pytest.fixture(scope="module")
def go_checker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the Go verifier once per module; fail (never skip) without the Debian packages."""
    assert Path("/usr/bin/go").exists(), "golang-go is missing: run `make sysdeps`"
    assert Path(GOPATH, "src/golang.org/x/mod/sumdb/note").is_dir(), (
        "golang-golang-x-mod-dev is missing: run `make sysdeps`"
    )
    work = tmp_path_factory.mktemp("go")
    binary = work / "checkcheckpoint"
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": GOPATH,
        "GOCACHE": str(work / "cache"),
        "GOFLAGS": "",
    }
    subprocess.run(
        ["go", "build", "-o", str(binary), str(GO_SOURCE)],
        check=True,
        env=env,
        cwd=work,
        capture_output=True,
        timeout=300,
    )
    return binary


def go_check(binary: Path, request: dict) -> tuple[bool, str]:
    done = subprocess.run(
        [str(binary)], input=json.dumps(request), capture_output=True, text=True, timeout=60
    )
    return done.returncode == 0, done.stdout.strip()


def _grow(n: int) -> None:
    for _ in range(n):
        record(Actor.system(), "test:thing:done")


@pytest.fixture
def two_checkpoints(client) -> dict:
    _grow(5)
    transparency.make_tree_head()  # what the worker does while entries arrive
    old = client.get("/api/v1/journal/checkpoint").content.decode()
    _grow(8)
    transparency.make_tree_head()
    new = client.get("/api/v1/journal/checkpoint").content.decode()
    vkey = client.get("/api/v1/journal/checkpoint.vkey").content.decode().splitlines()[0]
    return {"old": old, "new": new, "vkey": vkey}


pytestmark = pytest.mark.django_db


def test_checkpoint_is_a_signed_note_of_the_latest_head(client) -> None:
    _grow(3)
    answer = client.get("/api/v1/journal/checkpoint")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/plain; charset=utf-8"
    text = answer.content.decode()
    vkeys = client.get("/api/v1/journal/checkpoint.vkey").content.decode().splitlines()
    body, signers = note.open_note(text, vkeys[:1])
    checkpoint = note.parse_checkpoint(body)
    head = transparency.latest_tree_head()
    assert checkpoint.size == head.tree_size == 3
    assert checkpoint.root_hash.hex() == head.root_hash
    assert checkpoint.origin == origin_line() == signers[0]
    assert text.splitlines()[3] == ""  # origin, size, root, then the blank line
    assert text.splitlines()[4].startswith(f"\u2014 {origin_line()} ")


def test_go_verifies_checkpoints_and_proofs_between_them(two_checkpoints, go_checker) -> None:
    vkeys = [two_checkpoints["vkey"]]
    ok, out = go_check(go_checker, {"vkeys": vkeys, "note": two_checkpoints["new"]})
    assert ok and out == f"OK {origin_line()} 13", out
    for index in (0, 4, 7, 12):
        entry_hash = transparency.JournalEntry.objects.get(index=index).leaf_hash
        proof = [h.hex() for h in transparency.inclusion_proof(index, 13)]
        ok, out = go_check(
            go_checker,
            {
                "vkeys": vkeys,
                "note": two_checkpoints["new"],
                "inclusion": {"index": index, "leaf_hash": entry_hash, "hashes": proof},
            },
        )
        assert ok, f"entry {index}: {out}"
    consistency = [h.hex() for h in transparency.consistency_proof(5, 13)]
    ok, out = go_check(
        go_checker,
        {
            "vkeys": vkeys,
            "note": two_checkpoints["new"],
            "consistency": {"old_note": two_checkpoints["old"], "hashes": consistency},
        },
    )
    assert ok, out


def _flip_root(text: str) -> str:
    lines = text.split("\n")
    root = bytearray(base64.b64decode(lines[2]))
    root[0] ^= 1
    lines[2] = base64.b64encode(bytes(root)).decode()
    return "\n".join(lines)


def test_go_and_sceau_refuse_a_tampered_checkpoint(two_checkpoints, go_checker) -> None:
    vkeys = [two_checkpoints["vkey"]]
    tampered = {
        "root changed": _flip_root(two_checkpoints["new"]),
        "size changed": two_checkpoints["new"].replace("\n13\n", "\n14\n", 1),
        "origin changed": "x" + two_checkpoints["new"],
        "signature cut": two_checkpoints["new"][:-6] + "\n",
    }
    for what, text in tampered.items():
        ok, out = go_check(go_checker, {"vkeys": vkeys, "note": text})
        assert not ok and out.startswith("FAIL"), what
        with pytest.raises(note.CheckpointError):
            note.parse_checkpoint(note.open_note(text, vkeys)[0])


def test_go_refuses_a_wrong_key_and_a_wrong_proof(two_checkpoints, go_checker) -> None:
    stranger = note.verifier_key(
        "127.0.0.1:8000/journal", Ed25519PrivateKey.generate().public_key()
    )
    ok, out = go_check(go_checker, {"vkeys": [stranger], "note": two_checkpoints["new"]})
    assert not ok and "note" in out
    consistency = [h.hex() for h in transparency.consistency_proof(5, 13)]
    consistency[0] = consistency[0][:-1] + ("0" if consistency[0][-1] != "0" else "1")
    ok, out = go_check(
        go_checker,
        {
            "vkeys": [two_checkpoints["vkey"]],
            "note": two_checkpoints["new"],
            "consistency": {"old_note": two_checkpoints["old"], "hashes": consistency},
        },
    )
    assert not ok and "consistency" in out


def test_a_cosigned_note_needs_every_required_signer() -> None:
    log_key, witness_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    body = note.Checkpoint("example.org/log", 2, bytes(32)).body()
    signed = note.sign_note(body, "example.org/log", log_key)
    log_vkey = note.verifier_key("example.org/log", log_key.public_key())
    witness_vkey = note.verifier_key("witness.example", witness_key.public_key())
    assert note.open_note(signed, [log_vkey]) == (body, ["example.org/log"])
    with pytest.raises(note.CheckpointError, match=r"not signed by witness\.example"):
        note.open_note(signed, [log_vkey, witness_vkey])


@pytest.mark.parametrize(
    "vkey",
    [
        "name+00000000+AQ==",
        "name+zz+AQ==",
        "only-two+parts",
        "name+00000000+" + base64.b64encode(b"\x02" + bytes(32)).decode(),
    ],
)
def test_malformed_verifier_keys_are_refused(vkey: str) -> None:
    with pytest.raises(note.CheckpointError):
        note.parse_verifier_key(vkey)


@pytest.mark.parametrize(
    "body",
    [
        "o\n01\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "o\n1\nAAAA\n",
        "o\n1\n",
        "o\n-1\nx\n",
    ],
)
def test_malformed_checkpoints_are_refused(body: str) -> None:
    with pytest.raises(note.CheckpointError):
        note.parse_checkpoint(body)
