"""sceau-verify on export directories built here, intact and tampered with."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from sceau.journal import verifier
from sceau.journal.canonical import canonical_json
from sceau.journal.merkle import (
    CompactRange,
    NodeId,
    append_nodes,
    consistency_proof_nodes,
    hash_leaf,
    inclusion_proof_nodes,
    resolve,
)
from sceau.journal.signing import sign_tree_head
from sceau.journal.verifier import (
    InputError,
    TreeHead,
    VerificationError,
    key_id,
    verify_export,
    verify_leaf,
)
from sceau.journal.verifier import export as verifier_export
from sceau.journal.verifier.cli import main

KEY = Ed25519PrivateKey.generate()
OTHER_KEY = Ed25519PrivateKey.generate()


def pem(*keys: Ed25519PrivateKey) -> bytes:
    return b"".join(
        k.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        for k in keys
    )


def stamp(i: int) -> str:
    return f"2026-03-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.{i % 997:06d}Z"


def make_leaf(i: int, action: str = "pieces:document:deposited", **extra) -> str:
    return canonical_json(
        {"index": i, "time": stamp(i), "action": action, "actor": {"name": "Me Dupré"}, **extra}
    )


def head_time(size: int) -> str:
    return f"2026-03-02T00:{size // 60 % 60:02d}:{size % 60:02d}Z"


class Log:
    """A journal built in memory: leaves, stored subtrees and signed tree heads."""

    def __init__(self, leaves: list[str], key: Ed25519PrivateKey = KEY) -> None:
        self.leaves = leaves
        self.hashes = [hash_leaf(leaf.encode()) for leaf in leaves]
        self.store: dict[NodeId, bytes] = {}
        for i, h in enumerate(self.hashes):
            self.store.update(append_nodes(i, h, self.store.__getitem__))
        self.key = key

    def root(self, size: int) -> bytes:
        compact = CompactRange()
        compact.extend(self.hashes[:size])
        return compact.root()

    def head(self, size: int, key: Ed25519PrivateKey | None = None) -> dict:
        return sign_tree_head(key or self.key, size, self.root(size), head_time(size))

    def proof(self, elements: list[list[NodeId]]) -> list[str]:
        return [h.hex() for h in resolve(elements, lambda ids: {i: self.store[i] for i in ids})]


def write_export(
    directory: Path,
    log: Log,
    *,
    heads: tuple[int, ...] = (),
    size: int | None = None,
    pruned: frozenset[int] = frozenset(),
    dossier: set[int] | None = None,
    consistency_from: int | None = None,
) -> Path:
    """Write what the server exports: full, or partial (``dossier``) with inclusion proofs."""
    size = len(log.leaves) if size is None else size
    directory.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(size):
        if dossier is not None and i not in dossier:
            continue
        line: dict = {"index": i}
        if i in pruned:
            line["leaf_hash"] = log.hashes[i].hex()
        else:
            line["leaf"] = log.leaves[i]
        if dossier is not None:
            line["inclusion"] = log.proof(inclusion_proof_nodes(i, size))
        lines.append(json.dumps(line, ensure_ascii=False) + "\n")
    (directory / "entries.jsonl").write_text("".join(lines), encoding="utf-8")
    (directory / "tree-head.json").write_text(json.dumps(log.head(size), indent=2))
    (directory / "tree-heads.jsonl").write_text(
        "".join(json.dumps(log.head(s)) + "\n" for s in heads)
    )
    (directory / "public-keys.pem").write_bytes(pem(log.key))
    if consistency_from is not None:
        (directory / "consistency.json").write_text(
            json.dumps(
                {
                    "first": consistency_from,
                    "second": size,
                    "proof": log.proof(consistency_proof_nodes(consistency_from, size)),
                }
            )
        )
    return directory


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def failure(directory: Path, previous: Path | None = None, jobs: int = 1) -> str:
    with pytest.raises(VerificationError) as caught:
        verify_export(directory, previous, jobs=jobs)
    assert not isinstance(caught.value, InputError), caught.value
    return caught.value.message


def edit_lines(directory: Path, change) -> None:
    path = directory / "entries.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(change(lines)), encoding="utf-8")


def set_leaf(lines: list[str], i: int, leaf: str) -> list[str]:
    obj = json.loads(lines[i])
    obj["leaf"] = leaf
    lines[i] = json.dumps(obj, ensure_ascii=False) + "\n"
    return lines


def zero_hash(i: int) -> str:
    return json.dumps({"index": i, "leaf_hash": "00" * 32}) + "\n"


HEADS = (10, 20, 30, 40)


@pytest.fixture
def log() -> Log:
    return Log([make_leaf(i) for i in range(50)])


@pytest.fixture
def export(tmp_path, log) -> Path:
    return write_export(tmp_path / "export", log, heads=HEADS)


# --- intact exports ------------------------------------------------------------------------


def test_intact_export_verifies(export, log):
    code, out, err = run(export)
    assert (code, err) == (0, "")
    assert out.startswith("OK: 50 entrées, racine " + log.root(50).hex())
    assert "arbre signé le " + head_time(50) in out
    report = verify_export(export)
    assert (report.tree_size, report.entries, report.earlier_heads) == (50, 50, 4)
    assert (report.root_hash, report.key_id) == (log.root(50), key_id(KEY.public_key()))
    assert not report.partial


def test_key_id_is_derived_from_the_raw_public_key():
    raw = KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert key_id(KEY.public_key()) == "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]
    assert len(key_id(KEY.public_key())) == len("ed25519:") + 16


def test_pruned_entries_verify_by_their_leaf_hash(tmp_path, log):
    export = write_export(tmp_path / "e", log, heads=HEADS, pruned=frozenset({0, 7, 8, 49}))
    report = verify_export(export)
    assert (report.entries, report.pruned) == (50, 4)
    assert "dont 4 élaguées" in report.summary()
    edit_lines(export, lambda lines: [*lines[:7], zero_hash(7), *lines[8:]])
    assert "entries in [0, 10) do not match the signed tree head of size 10" in failure(export)


def test_empty_log_verifies(tmp_path):
    export = write_export(tmp_path / "e", Log([]))
    assert run(export)[0] == 0
    assert verify_export(export).tree_size == 0


def test_several_keys_and_older_heads_signed_by_a_retired_key(tmp_path, log):
    export = write_export(tmp_path / "e", log)
    old = Log(log.leaves, key=OTHER_KEY)
    (export / "tree-heads.jsonl").write_text(json.dumps(old.head(25)) + "\n")
    (export / "public-keys.pem").write_bytes(pem(OTHER_KEY, KEY))
    assert verify_export(export).earlier_heads == 1


# --- tampered entries ----------------------------------------------------------------------


def test_an_edited_leaf_is_located_between_two_signed_heads(export):
    edit_lines(export, lambda lines: set_leaf(lines, 25, make_leaf(25, action="pieces:x:forged")))
    code, out, err = run(export)
    assert (code, out) == (1, "")
    assert (
        f"entries in [20, 30) do not match the signed tree head of size 30 signed at "
        f"{head_time(30)}" in err
    )


def test_an_edited_leaf_after_the_last_earlier_head_fails_the_final_head(export):
    edit_lines(export, lambda lines: set_leaf(lines, 45, make_leaf(45, action="pieces:x:forged")))
    assert "entries in [40, 50) do not match the signed tree head of size 50" in failure(export)


def test_a_deleted_line_is_named(export):
    edit_lines(export, lambda lines: lines[:40] + lines[41:])
    message = failure(export)
    assert message.startswith("line 41: entry 41: expected index 40")


def test_swapped_lines_are_named(export):
    edit_lines(export, lambda lines: [*lines[:40], lines[41], lines[40], *lines[42:]])
    assert "entry 41: expected index 40" in failure(export)


def test_a_repeated_line_is_named(export):
    edit_lines(export, lambda lines: [*lines[:41], lines[40], *lines[41:]])
    assert "line 42: entry 40: expected index 41 (a line is repeated" in failure(export)


def test_truncated_and_extended_exports(tmp_path, log):
    export = write_export(tmp_path / "e", log, heads=HEADS)
    edit_lines(export, lambda lines: lines[:45])
    assert "ends after 45 entries but the signed tree head of size 50" in failure(export)
    export = write_export(tmp_path / "f", log, heads=HEADS, size=45)
    edit_lines(export, lambda lines: [*lines, json.dumps({"index": 45, "leaf": log.leaves[45]})])
    assert "entry 45 is beyond the signed tree head of size 45" in failure(export)


@pytest.mark.parametrize(
    "leaf",
    [
        '{"index": 12, "time": "x"}',  # whitespace
        '{"time":"2026-03-01T00:00:12.000012Z","index":12}',  # member order
        '{"index":12,"index":12}',  # duplicate member
        '{"index":12,"n":1.0}',  # float
        '{"index":12,"n":1e2}',
        '{"index":12,"n":9007199254740992}',  # outside I-JSON
        '{"index":12,"s":"\\u00e9"}',  # needless escape
        '{"index":12,"s":"\\/"}',
        '{"index":12,"n":-0}',
        '{"index":12} ',
        make_leaf(12) + "\n",
    ],
)
def test_non_canonical_leaves_are_refused(export, leaf):
    edit_lines(export, lambda lines: set_leaf(lines, 12, leaf))
    assert "line 13: entry 12 is not canonical JSON" in failure(export)


@pytest.mark.parametrize(
    ("leaf", "message"),
    [
        ('{"index":12', "entry 12: leaf is not valid JSON"),
        ('{"index":12}x', "entry 12: leaf is not valid JSON"),
        ('{"index":11}', "entry 12: the leaf says index 11"),
        ('{"index":true}', "entry 12: the leaf says index True"),
        ('{"action":"a"}', "entry 12: the leaf says index None"),
        ("[12]", "entry 12: leaf is not a JSON object"),
        ('{"index":12,"time":"2026-03-01 00:00:12Z"}', "entry 12: time"),
        ('{"index":12,"time":"2026-02-30T00:00:12Z"}', "'2026-02-30T00:00:12Z' is not an RFC"),
        ('{"index":12,"time":12}', "entry 12: time 12 is not an RFC 3339 string"),
    ],
)
def test_bad_leaves_are_named(export, leaf, message):
    edit_lines(export, lambda lines: set_leaf(lines, 12, leaf))
    assert message in failure(export)


def test_time_going_backwards_is_an_error(tmp_path):
    leaves = [make_leaf(i) for i in range(20)]
    leaves[9] = canonical_json({"index": 9, "time": "2026-03-01T00:00:08.999999+00:00"})
    leaves[10] = canonical_json({"index": 10, "time": "2026-03-01T01:00:08.999998+01:00"})
    export = write_export(tmp_path / "e", Log(leaves))
    assert "line 11: entry 10: time goes backwards" in failure(export)
    leaves[10] = canonical_json({"index": 10, "time": "2026-03-01T01:00:08.999999+01:00"})
    assert verify_export(write_export(tmp_path / "f", Log(leaves))).entries == 20


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"leaf": "{}"}', "line 6: no valid index field"),
        ('{"index": "5", "leaf": "{}"}', "line 6: no valid index field"),
        ('{"index": 5}', "entry 5 needs exactly one of leaf and leaf_hash"),
        ('{"index": 5, "leaf": "{}", "leaf_hash": "' + "00" * 32 + '"}', "exactly one"),
        ('{"index": 5, "leaf_hash": "abc"}', "entry 5: leaf_hash is not 32 bytes of hex"),
        ('{"index": 5, "leaf": {"index": 5}}', "entry 5: leaf is not a string"),
        ('{"index": 5, "leaf": "{}", "note": 1}', "entry 5 has unknown fields ['note']"),
        ('{"index": 5, "leaf": "{}", "inclusion": []}', "entry 5 has an inclusion proof"),
    ],
)
def test_malformed_lines_are_named(export, line, message):
    edit_lines(export, lambda lines: [*lines[:5], line + "\n", *lines[6:]])
    assert message in failure(export)


# --- tree heads and keys -------------------------------------------------------------------


def test_a_forged_tree_head_fails_its_signature(export, log):
    head = json.loads((export / "tree-head.json").read_text())
    head["root_hash"] = log.root(49).hex()
    (export / "tree-head.json").write_text(json.dumps(head))
    code, _, err = run(export)
    assert code == 1
    assert "tree-head.json: the signature of the signed tree head of size 50" in err
    assert "does not verify" in err


def test_a_bad_signature_on_an_earlier_head(export, log):
    heads = (export / "tree-heads.jsonl").read_text().splitlines()
    head = json.loads(heads[2])
    signature = bytearray(base64.b64decode(head["signature"]))
    signature[0] ^= 1
    head["signature"] = base64.b64encode(bytes(signature)).decode()
    heads[2] = json.dumps(head)
    (export / "tree-heads.jsonl").write_text("\n".join(heads) + "\n")
    assert "tree-heads.jsonl line 3: the signature of the signed tree head of size 30" in (
        failure(export)
    )


def test_a_head_signed_by_an_unknown_key(tmp_path, log):
    export = write_export(tmp_path / "e", Log(log.leaves, key=OTHER_KEY))
    (export / "public-keys.pem").write_bytes(pem(KEY))
    message = failure(export)
    assert f"signed by unknown key {key_id(OTHER_KEY.public_key())}" in message
    assert key_id(KEY.public_key()) in message


def test_heads_out_of_order_or_beyond_the_final_one(export, log):
    (export / "tree-heads.jsonl").write_text(
        json.dumps(log.head(20)) + "\n" + json.dumps(log.head(10)) + "\n"
    )
    assert "tree head of size 10 comes after one of size 20" in failure(export)
    write_export(export, log, size=15)
    (export / "tree-heads.jsonl").write_text(json.dumps(log.head(20)) + "\n")
    assert "tree head of size 20 is larger than the signed tree head of size 15" in failure(export)


# --- --previous: the log must extend a tree head kept from an earlier audit -----------------


def test_previous_head_from_the_same_history(tmp_path, export, log):
    for size in (0, 7, 30, 50):
        old = tmp_path / f"old-{size}.json"
        old.write_text(json.dumps(log.head(size)))
        code, out, _ = run(export, "--previous", old)
        assert code == 0, size
        assert f"cohérent avec l'arbre précédent de {size} entrées" in out


def test_previous_head_from_a_rewritten_history(tmp_path, log):
    kept = tmp_path / "old.json"
    kept.write_text(json.dumps(log.head(30)))
    rewritten = list(log.leaves)
    rewritten[5] = make_leaf(5, action="pieces:document:withdrawn")
    # The server re-signed every head over the rewritten history: the export is self-consistent.
    export = write_export(tmp_path / "e", Log(rewritten), heads=HEADS)
    assert verify_export(export).entries == 50
    code, _, err = run(export, "--previous", kept)
    assert code == 1
    assert f"the log was rewritten since the tree head of size 30 signed at {head_time(30)}" in err


def test_previous_head_larger_than_the_export(tmp_path, log):
    export = write_export(tmp_path / "e", log, size=20)
    kept = tmp_path / "old.json"
    kept.write_text(json.dumps(log.head(30)))
    assert "is larger than the signed tree head of size 20" in failure(export, kept)


def test_previous_head_must_be_signed_by_a_known_key(tmp_path, export, log):
    kept = tmp_path / "old.json"
    kept.write_text(json.dumps(log.head(30, key=OTHER_KEY)))
    assert "previous tree head old.json: tree head of size 30 is signed by unknown key" in (
        failure(export, kept)
    )


# --- partial exports (one dossier) ---------------------------------------------------------

DOSSIER = {0, 3, 17, 18, 31, 49}


def test_partial_export_with_inclusion_proofs(tmp_path, log):
    export = write_export(tmp_path / "e", log, heads=HEADS, dossier=DOSSIER, pruned=frozenset({3}))
    code, out, _ = run(export)
    assert code == 0
    assert out.startswith("OK: 6 entrées (export partiel")
    report = verify_export(export)
    assert (report.partial, report.entries, report.pruned, report.tree_size) == (True, 6, 1, 50)


def test_partial_export_with_a_flipped_proof_bit(tmp_path, log):
    export = write_export(tmp_path / "e", log, dossier=DOSSIER)

    def flip(lines):
        obj = json.loads(lines[3])
        proof = bytearray.fromhex(obj["inclusion"][2])
        proof[7] ^= 0x10
        obj["inclusion"][2] = proof.hex()
        lines[3] = json.dumps(obj) + "\n"
        return lines

    edit_lines(export, flip)
    message = failure(export)
    assert message.startswith("line 4: entry 18: inclusion proof does not verify against the")
    assert "computed root" in message


def test_partial_export_with_an_edited_leaf_or_bad_order(tmp_path, log):
    export = write_export(tmp_path / "e", log, dossier=DOSSIER)
    edit_lines(export, lambda lines: set_leaf(lines, 2, make_leaf(17, action="a:b:c")))
    assert "line 3: entry 17: inclusion proof does not verify" in failure(export)
    export = write_export(tmp_path / "f", log, dossier=DOSSIER)
    edit_lines(export, lambda lines: [lines[0], lines[2], lines[1], *lines[3:]])
    assert "line 3: entry 3 comes after entry 17" in failure(export)
    export = write_export(tmp_path / "g", log, dossier=DOSSIER)
    edit_lines(export, lambda lines: [*lines, json.dumps({"index": 50, "leaf": "{}"}) + "\n"])
    assert "entry 50 has no inclusion proof" in failure(export)
    beyond = {"index": 50, "leaf": make_leaf(50), "inclusion": []}
    edit_lines(export, lambda lines: [*lines[:-1], json.dumps(beyond) + "\n"])
    assert "line 7: entry 50 is beyond the signed tree head of size 50" in failure(export)


def test_partial_export_with_previous_and_consistency(tmp_path, log):
    kept = tmp_path / "old.json"
    kept.write_text(json.dumps(log.head(30)))
    export = write_export(tmp_path / "e", log, dossier=DOSSIER, consistency_from=30)
    assert run(export, "--previous", kept)[0] == 0
    # Without consistency.json the export cannot be checked against the previous head.
    (export / "consistency.json").unlink()
    code, _, err = run(export, "--previous", kept)
    assert code == 2 and "needs consistency.json" in err
    # A proof between other sizes is refused, and so is a rewritten history.
    write_export(export, log, dossier=DOSSIER, consistency_from=31)
    assert "consistency.json proves sizes 31 to 50, not 30 to 50" in failure(export, kept)
    rewritten = list(log.leaves)
    rewritten[2] = make_leaf(2, action="pieces:document:withdrawn")
    export = write_export(tmp_path / "f", Log(rewritten), dossier=DOSSIER, consistency_from=30)
    assert verify_export(export).entries == 6
    message = failure(export, kept)
    assert message.startswith("the log was rewritten since the tree head of size 30")
    assert "consistency proof" in message


# --- unusable input: exit code 2 -----------------------------------------------------------


def test_unusable_input_exits_2(tmp_path, export):
    code, out, err = run(tmp_path / "nowhere")
    assert (code, out) == (2, "") and err.count("\n") == 1
    (export / "tree-head.json").write_text("{not json")
    code, _, err = run(export)
    assert code == 2 and "tree-head.json is not valid JSON" in err
    (export / "tree-head.json").write_text('{"tree_size": 3}')
    assert run(export)[0] == 2
    (export / "tree-head.json").unlink()
    code, _, err = run(export)
    assert code == 2 and "tree-head.json" in err


@pytest.mark.parametrize("name", ["entries.jsonl", "public-keys.pem"])
def test_missing_files_exit_2(export, name):
    (export / name).unlink()
    code, _, err = run(export)
    assert code == 2 and name in err and err.count("\n") == 1


def test_bad_json_line_exits_2(export):
    edit_lines(export, lambda lines: [*lines[:5], "{oops\n", *lines[6:]])
    code, _, err = run(export)
    assert code == 2 and "entries.jsonl line 6 is not valid JSON" in err
    with pytest.raises(InputError) as caught:
        verify_export(export)
    assert caught.value.line == 6


def test_bad_previous_file_exits_2(tmp_path, export):
    assert run(export, "--previous", tmp_path / "missing.json")[0] == 2
    with pytest.raises(SystemExit) as caught:  # argparse exits 2 itself
        main([str(export), "--bogus"])
    assert caught.value.code == 2


def test_errors_carry_index_and_line(export):
    edit_lines(export, lambda lines: set_leaf(lines, 12, '{"index":12, "x":1}'))
    with pytest.raises(VerificationError) as caught:
        verify_export(export)
    assert (caught.value.index, caught.value.line) == (12, 13)


# --- the canonical check is exactly canonical_json ------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(
                alphabet=st.sampled_from("ab\x00\x7f\u00e9\u20ac\ue000\uffff\U0001f600"), max_size=3
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=150)
@given(st.dictionaries(st.text(max_size=3), json_values, max_size=5), st.data())
def test_verify_leaf_accepts_exactly_canonical_json(value, data):
    value = {**value, "index": 7}
    value.pop("time", None)
    texts = [
        json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True),
        json.dumps(value, separators=(",", ":"), sort_keys=True),
        json.dumps(value),
        json.dumps(dict(reversed(list(value.items()))), ensure_ascii=False, separators=(",", ":")),
    ]
    try:
        texts.append(canonical_json(value))
    except ValueError:
        pass
    for text in texts:
        try:
            expected = canonical_json(json.loads(text)) == text
        except ValueError:
            expected = False
        try:
            leaf_hash, _ = verify_leaf(text, 7)
        except VerificationError as exc:
            assert not expected, exc.message
            assert "entry 7 is not canonical JSON" in exc.message
        else:
            assert expected
            assert leaf_hash == hash_leaf(text.encode())


def test_keys_sort_by_utf16_code_units():
    # U+E000 sorts before U+1F600 by code point but after it by UTF-16 code unit (RFC 8785).
    leaf = canonical_json({"index": 0, "\ue000": 1, "\U0001f600": 2})
    assert leaf.index("\U0001f600") < leaf.index("\ue000")
    verify_leaf(leaf, 0)
    code_point_order = '{"index":0,"\ue000":1,"\U0001f600":2}'
    with pytest.raises(VerificationError, match="not canonical"):
        verify_leaf(code_point_order, 0)


# --- many chunks, several processes, and speed ---------------------------------------------


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(verifier_export, "CHUNK", 8)


@pytest.mark.parametrize("jobs", [1, 2])
def test_chunked_verification_reports_like_the_stream(small_chunks, tmp_path, jobs):
    leaves = [make_leaf(i) for i in range(100)]
    log = Log(leaves)
    heads = (8, 13, 16, 17, 40, 64, 99)
    export = write_export(tmp_path / "ok", log, heads=heads, pruned=frozenset({15, 16, 64}))
    assert verify_export(export, jobs=jobs).entries == 100
    cases = {
        # An entry edited just before a chunk boundary that is also a head size.
        15: "entries in [13, 16) do not match the signed tree head of size 16",
        16: "entries in [16, 17) do not match the signed tree head of size 17",
        70: "entries in [64, 99) do not match the signed tree head of size 99",
    }
    for i, message in cases.items():
        forged = Log([*leaves[:i], make_leaf(i, action="x:y:z"), *leaves[i + 1 :]])
        export = write_export(tmp_path / f"e{i}", forged)
        (export / "tree-heads.jsonl").write_text(
            "".join(json.dumps(log.head(s)) + "\n" for s in heads)
        )
        (export / "tree-head.json").write_text(json.dumps(log.head(100)))
        assert message in failure(export, jobs=jobs)
    # Time going backwards across a chunk boundary, after a head at that boundary.
    backwards = list(leaves)
    backwards[24] = canonical_json({"index": 24, "time": stamp(22)})
    export = write_export(tmp_path / "t", Log(backwards), heads=(24,))
    assert "line 25: entry 24: time goes backwards" in failure(export, jobs=jobs)
    # ... but a head reached before that entry and not matching is reported first.
    backwards[23] = make_leaf(23, action="x:y:z")
    export = write_export(tmp_path / "t2", Log(backwards))
    (export / "tree-heads.jsonl").write_text(json.dumps(log.head(24)) + "\n")
    assert "entries in [0, 24) do not match" in failure(export, jobs=jobs)
    # Within a chunk too: entries 24 and 25 (pruned) carry no time, entry 26 goes backwards.
    backwards = list(leaves)
    backwards[26] = canonical_json({"index": 26, "time": stamp(22)})
    export = write_export(tmp_path / "t3", Log(backwards), heads=(25,), pruned=frozenset({24, 25}))
    assert "line 27: entry 26: time goes backwards" in failure(export, jobs=jobs)
    edit_lines(export, lambda lines: [*lines[:24], zero_hash(24), *lines[25:]])
    assert "entries in [0, 25) do not match" in failure(export, jobs=jobs)
    # A bad head is reported before a later bad entry; a deleted line in a later chunk.
    export = write_export(tmp_path / "d", log, heads=heads)
    edit_lines(export, lambda lines: set_leaf(lines[:50] + lines[51:], 20, make_leaf(20, "a:b:c")))
    assert "entries in [17, 40) do not match" in failure(export, jobs=jobs)
    export = write_export(tmp_path / "m", log, heads=heads)
    edit_lines(export, lambda lines: lines[:50] + lines[51:])
    assert "line 51: entry 51: expected index 50" in failure(export, jobs=jobs)


def test_large_export_checked_in_parallel_chunks(tmp_path):
    n = 200_000  # several 8192-line chunks per worker, four tree-head intervals
    directory = tmp_path / "big"
    directory.mkdir()
    compact = CompactRange()
    template = (
        '{"action":"pieces:document:deposited","actor":{"id":"12","kind":"officer",'
        '"name":"Me Dupré"},"details":{"n":%d},"dossier":42,"index":%d,"office":1,'
        '"time":"2026-03-01T%02d:%02d:%02d.%06dZ"}'
    )
    heads = []
    with open(directory / "entries.jsonl", "w", encoding="utf-8") as fh:
        for i in range(n):
            s = i // 100
            leaf = template % (i, i, s // 3600, s // 60 % 60, s % 60, i % 100)
            fh.write(json.dumps({"index": i, "leaf": leaf}, ensure_ascii=False) + "\n")
            compact.append(hash_leaf(leaf.encode()))
            if (i + 1) % 50_000 == 0:
                signed_at = f"2026-03-02T{len(heads):02d}:00:00Z"
                heads.append(sign_tree_head(KEY, i + 1, compact.root(), signed_at))
    (directory / "tree-head.json").write_text(json.dumps(heads.pop()))
    (directory / "tree-heads.jsonl").write_text("".join(json.dumps(h) + "\n" for h in heads))
    (directory / "public-keys.pem").write_bytes(pem(KEY))
    # Timing belongs to benchmarks/journal.py (make bench); here only the many-chunk, parallel
    # path is checked for correctness.
    report = verify_export(directory, jobs=min(os.cpu_count() or 1, 8))
    assert (report.entries, report.earlier_heads) == (n, 3)


def test_tree_head_round_trip():
    head = TreeHead.from_json(sign_tree_head(KEY, 3, b"\x01" * 32, "2026-03-01T00:00:00Z"))
    verifier.verify_tree_head(head, {key_id(KEY.public_key()): KEY.public_key()})
    assert head.describe() == "the signed tree head of size 3 signed at 2026-03-01T00:00:00Z"
    with pytest.raises(InputError, match="root_hash"):
        TreeHead.from_json({**head.fields, "root_hash": "zz"})
    with pytest.raises(InputError, match="timestamp"):
        TreeHead.from_json({**head.fields, "timestamp": "yesterday"})
    with pytest.raises(InputError, match="signature is not base64"):
        TreeHead.from_json({**head.fields, "signature": "***"})


def test_verify_lines_takes_str_lines_from_the_server(log):
    lines = (json.dumps({"index": i, "leaf": leaf}) for i, leaf in enumerate(log.leaves))
    head = TreeHead.from_json(log.head(50))
    earlier = [TreeHead.from_json(log.head(s), f"head {s}") for s in HEADS]
    report = verifier.verify_lines(lines, head, earlier_heads=earlier)
    assert (report.entries, report.earlier_heads, report.root_hash) == (50, 4, log.root(50))
    with pytest.raises(VerificationError, match="ends after 0 entries"):
        verifier.verify_lines([], head)
