"""File keyring: creation, permissions, wrapping, rotation, concurrency."""

from __future__ import annotations

import base64
import json
import multiprocessing
import multiprocessing.synchronize
import os
import re
import stat
from pathlib import Path

import pytest

from sceau.vault.envelope import new_data_key
from sceau.vault.errors import IntegrityError, KeyNotFound, KeyringError
from sceau.vault.keyring import FileKeyring, KeySource

CTX = b"0123456789abcdef0123456789abcdef"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "keyring.json"


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_is_a_key_source(path: Path) -> None:
    keys: KeySource = FileKeyring(path)
    assert keys.current_key_id()


def test_created_on_first_use_with_private_permissions(path: Path) -> None:
    keys = FileKeyring(path)
    assert not path.exists()
    key_id = keys.current_key_id()
    assert re.fullmatch(r"kek-\d{8}-[0-9a-f]{8}", key_id)
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    doc = json.loads(path.read_text())
    assert doc["version"] == 1
    assert doc["current"] == key_id
    entry = doc["keys"][key_id]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry["created"])
    assert len(base64.b64decode(entry["key"])) == 32
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_wrap_unwrap(path: Path) -> None:
    keys = FileKeyring(path)
    dek = new_data_key()
    key_id, wrapped = keys.wrap(dek, CTX)
    assert key_id == keys.current_key_id()
    assert len(wrapped) == 12 + 32 + 16
    assert dek not in wrapped
    assert keys.unwrap(key_id, wrapped, CTX) == dek
    # a second keyring object reading the same file
    assert FileKeyring(path).unwrap(key_id, wrapped, CTX) == dek
    # random nonce: wrapping twice differs
    assert keys.wrap(dek, CTX)[1] != wrapped


def test_context_mismatch_fails(path: Path) -> None:
    keys = FileKeyring(path)
    key_id, wrapped = keys.wrap(new_data_key(), CTX)
    with pytest.raises(IntegrityError) as info:
        keys.unwrap(key_id, wrapped, b"another blob")
    assert info.value.code == "integrity_failure"


def test_tampered_or_short_wrapped_key_fails(path: Path) -> None:
    keys = FileKeyring(path)
    key_id, wrapped = keys.wrap(new_data_key(), CTX)
    bad = bytearray(wrapped)
    bad[20] ^= 1
    with pytest.raises(IntegrityError):
        keys.unwrap(key_id, bytes(bad), CTX)
    with pytest.raises(IntegrityError):
        keys.unwrap(key_id, wrapped[:20], CTX)


def test_unknown_key_id(path: Path) -> None:
    keys = FileKeyring(path)
    _, wrapped = keys.wrap(new_data_key(), CTX)
    with pytest.raises(KeyNotFound) as info:
        keys.unwrap("kek-20000101-00000000", wrapped, CTX)
    assert info.value.code == "key_not_found"


def test_rotate_keeps_old_keys_usable(path: Path) -> None:
    keys = FileKeyring(path)
    dek = new_data_key()
    old_id, wrapped = keys.wrap(dek, CTX)
    new_id = keys.rotate()
    assert new_id != old_id
    assert keys.current_key_id() == new_id
    assert keys.key_ids() == [old_id, new_id]
    assert keys.unwrap(old_id, wrapped, CTX) == dek
    assert keys.wrap(dek, CTX)[0] == new_id
    assert mode(path) == 0o600


def test_rewrap(path: Path) -> None:
    keys = FileKeyring(path)
    dek = new_data_key()
    old_id, wrapped = keys.wrap(dek, CTX)
    new_id = keys.rotate()
    key_id, rewrapped = keys.rewrap(old_id, wrapped, CTX)
    assert key_id == new_id
    assert keys.unwrap(new_id, rewrapped, CTX) == dek
    with pytest.raises(IntegrityError):
        keys.rewrap(old_id, wrapped, b"wrong context")


def test_rotation_by_another_process_is_seen(path: Path) -> None:
    first = FileKeyring(path)
    old_id = first.current_key_id()
    other = FileKeyring(path)
    new_id = other.rotate()
    dek = new_data_key()
    _, wrapped = other.wrap(dek, CTX)
    assert first.unwrap(new_id, wrapped, CTX) == dek
    assert first.current_key_id() == new_id
    assert first.key_ids() == [old_id, new_id]


@pytest.mark.parametrize("bad_mode", [0o644, 0o640, 0o604, 0o660])
def test_refuses_group_or_world_accessible_file(path: Path, bad_mode: int) -> None:
    FileKeyring(path).current_key_id()
    os.chmod(path, bad_mode)
    with pytest.raises(KeyringError) as info:
        FileKeyring(path).current_key_id()
    assert "chmod 600" in info.value.message
    assert info.value.code == "keyring_error"


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[]",
        '{"version": 2, "current": "a", "keys": {}}',
        '{"version": 1, "current": "a", "keys": {}}',
        '{"version": 1, "current": "a", "keys": {"a": {"created": "x", "key": "!!"}}}',
        '{"version": 1, "current": "a", "keys": {"a": {"created": "x", "key": "AAAA"}}}',
    ],
)
def test_refuses_corrupted_file(path: Path, content: str) -> None:
    path.parent.mkdir(mode=0o700)
    path.write_text(content)
    os.chmod(path, 0o600)
    with pytest.raises(KeyringError) as info:
        FileKeyring(path).current_key_id()
    assert "sauvegarde" in info.value.message


def _first_use(path: str, barrier: multiprocessing.synchronize.Barrier, queue: object) -> None:
    barrier.wait()
    keys = FileKeyring(Path(path))
    key_id, wrapped = keys.wrap(b"k" * 32, CTX)
    queue.put((key_id, wrapped))  # type: ignore[attr-defined]


def _rotate_many(path: str, barrier: multiprocessing.synchronize.Barrier, times: int) -> None:
    keys = FileKeyring(Path(path))
    barrier.wait()
    for _ in range(times):
        keys.rotate()


def test_processes_creating_at_once_agree_on_one_key(path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    n = 6
    barrier = ctx.Barrier(n)
    queue = ctx.Queue()
    procs = [ctx.Process(target=_first_use, args=(str(path), barrier, queue)) for _ in range(n)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=30) for _ in range(n)]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    keys = FileKeyring(path)
    assert len(keys.key_ids()) == 1
    assert {key_id for key_id, _ in results} == {keys.current_key_id()}
    for key_id, wrapped in results:
        assert keys.unwrap(key_id, wrapped, CTX) == b"k" * 32
    assert mode(path) == 0o600


def test_processes_rotating_at_once_lose_no_key(path: Path) -> None:
    FileKeyring(path).current_key_id()
    ctx = multiprocessing.get_context("fork")
    n, times = 4, 5
    barrier = ctx.Barrier(n)
    procs = [ctx.Process(target=_rotate_many, args=(str(path), barrier, times)) for _ in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    keys = FileKeyring(path)
    assert len(keys.key_ids()) == 1 + n * times
    assert keys.current_key_id() == keys.key_ids()[-1]
    json.loads(path.read_text())
