"""Journal (transparency log) benchmark against pymerkle 7.

Usage::

    python benchmarks/journal.py [--entries 1000000] [--appends 5000] [--proofs 1000]

Compares Sceau's journal with pymerkle 7 (installed into this virtualenv when missing), on the
same machine in the same run, each measurement in its own child process:

1. single appends per second, each in its own transaction: ``services.record`` on a fresh
   SQLite data directory, against pymerkle's ``SqliteTree.append_entry`` (which commits every
   entry itself) appending the very leaves Sceau wrote. Ratio = Sceau / pymerkle, target >= 1;
2. inclusion and consistency proofs in a tree of ``--entries`` leaves: Sceau's ``JournalNode``
   table is filled directly (``merkle.append_nodes`` over synthetic leaf hashes, then
   ``bulk_create``), as ``record`` would have filled it; pymerkle's ``SqliteTree`` is built with
   its bulk ``append_entries`` over the same leaves. Ratio = pymerkle time / Sceau time, target
   >= 10;
3. verifying an export of ``--entries`` entries: ``sceau-verify DIR`` (``verifier.cli.main``) on an
   export written directly (canonical leaves, Ed25519-signed tree head), against pymerkle's
   ``InmemoryTree`` rebuilt from the same leaves (given in memory) and its root. Ratio =
   pymerkle time / Sceau time, target >= 1.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import json
import multiprocessing
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from machine import nproc, print_machine  # benchmarks/machine.py (this folder is on sys.path)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

PYMERKLE_REQUIREMENT = "pymerkle==7.*"
TARGET_APPENDS = 1.0
TARGET_PROOFS = 10.0
TARGET_VERIFY = 1.0
BUILD_LIMIT_S = 180.0  # largest pymerkle SqliteTree we wait for (then used for both sides)
BUILD_CHUNK = 50_000
NODE_BATCH = 10_000
EXPORT_CHUNK = 10_000
SCEAU_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")  # sceau.settings


# -- machine ---------------------------------------------------------------------------------------


def ensure_pymerkle() -> str:
    """Import pymerkle 7, installing it into this interpreter's environment when missing."""
    try:
        import pymerkle

        if pymerkle.__version__.split(".")[0] == "7":
            return pymerkle.__version__
        print(f"pymerkle {pymerkle.__version__} is installed, not 7: ", end="")
    except ImportError:
        print("pymerkle is not importable: ", end="")
    print(f"installing it into this venv with pip install '{PYMERKLE_REQUIREMENT}'", flush=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", PYMERKLE_REQUIREMENT], check=True
    )
    importlib.invalidate_caches()
    for name in [m for m in sys.modules if m == "pymerkle" or m.startswith("pymerkle.")]:
        del sys.modules[name]
    import pymerkle

    return pymerkle.__version__


def progress(part: str, message: str) -> None:
    """A progress line from a child process (its stdout carries the JSON result)."""
    print(f"  [{part}] {message}", file=sys.stderr, flush=True)


def setup_django(data_dir: Path) -> None:
    """Point Sceau at a fresh SQLite data directory, then set Django up and migrate."""
    os.environ["SCEAU_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "sceau.settings"
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# -- 1. single appends -----------------------------------------------------------------------------

ACTIONS = (
    ("pieces:document:deposited", "document"),
    ("pieces:document:consulted", "document"),
    ("identity:officer:logged_in", "officer"),
    ("pieces:dossier:created", "dossier"),
)


def record_kwargs(i: int) -> dict[str, Any]:
    action, kind = ACTIONS[i % len(ACTIONS)]
    return {
        "object_kind": kind,
        "object_id": 10_000 + i,
        "office_id": 1 + i % 7,
        "dossier_id": 100 + i // 10,
        "details": {"name": f"acte-{i}.pdf", "size": 120_000 + i, "via": "web"},
        "action": action,
    }


def pymerkle_appends(dbfile: Path, leaves: list[bytes], pragmas: tuple[str, ...]) -> float:
    """Seconds for pymerkle's SqliteTree to append ``leaves`` one append_entry at a time."""
    from pymerkle import SqliteTree

    tree = SqliteTree(str(dbfile))
    for pragma in pragmas:
        tree.con.execute(pragma)
    append = tree.append_entry
    start = time.perf_counter()
    for data in leaves:
        append(data)
    elapsed = time.perf_counter() - start
    # append_entry inserts inside `with self.con:`, i.e. commits each entry itself.
    if tree.con.in_transaction or tree.get_size() != len(leaves):
        raise SystemExit("pymerkle SqliteTree did not commit every append")
    tree.close()
    return elapsed


def child_appends(n: int, work: Path) -> dict[str, Any]:
    setup_django(work / "sceau")
    from django.db import connection

    from sceau.journal import services, transparency
    from sceau.journal.models import JournalEntry

    with connection.cursor() as cursor:
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        sync = cursor.execute("PRAGMA synchronous").fetchone()[0]
    actor = services.Actor("officer", "42", "Maître Léa Dupont-Hérault")
    progress("appends", f"Sceau record() x {n}, one transaction each (journal_mode={mode})")
    start = time.perf_counter()
    for i in range(n):
        services.record(actor, **record_kwargs(i))
    sceau_s = time.perf_counter() - start
    leaves = [leaf.encode() for leaf in JournalEntry.objects.values_list("leaf", flat=True)]
    sceau_root = transparency.root_hash(n)

    progress("appends", f"pymerkle SqliteTree.append_entry x {n}, default SQLite settings")
    default_s = pymerkle_appends(work / "pymerkle-default.db", leaves, ())
    from pymerkle import SqliteTree

    with contextlib.closing(SqliteTree(str(work / "pymerkle-default.db"))) as tree:
        same_root = tree.get_root() == sceau_root
        pm_mode = tree.con.execute("PRAGMA journal_mode").fetchone()
        pm_sync = tree.con.execute("PRAGMA synchronous").fetchone()
    if not same_root:
        raise SystemExit("pymerkle and Sceau disagree on the root of the same leaves")
    progress("appends", f"pymerkle SqliteTree.append_entry x {n}, with Sceau's PRAGMAs")
    wal_s = pymerkle_appends(work / "pymerkle-wal.db", leaves, SCEAU_PRAGMAS)

    progress("appends", f"Sceau record() x {n} more, with PRAGMA synchronous=FULL (info)")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=FULL")
        full = cursor.execute("PRAGMA synchronous").fetchone()[0]
    start = time.perf_counter()
    for i in range(n, 2 * n):
        services.record(actor, **record_kwargs(i))
    sceau_full_s = time.perf_counter() - start
    return {
        "n": n,
        "sceau_s": sceau_s,
        "sceau_full_s": sceau_full_s,
        "pymerkle_default_s": default_s,
        "pymerkle_wal_s": wal_s,
        "sceau_pragmas": f"journal_mode={mode}, synchronous={sync}",
        "sceau_full_pragmas": f"journal_mode={mode}, synchronous={full}",
        "pymerkle_pragmas": f"journal_mode={pm_mode}, synchronous={pm_sync}",
        "leaf_bytes": sum(map(len, leaves)) / n,
    }


# -- 2. proofs -------------------------------------------------------------------------------------


def synthetic_leaf(i: int) -> bytes:
    return b'{"bench":"sceau","index":%d}' % i


def build_pymerkle_tree(dbfile: Path, n: int) -> tuple[Any, float]:
    """A SqliteTree of up to ``n`` leaves, built by append_entries within BUILD_LIMIT_S."""
    from pymerkle import SqliteTree

    tree = SqliteTree(str(dbfile))
    start = time.perf_counter()
    size = 0
    while size < n:
        if time.perf_counter() - start > BUILD_LIMIT_S:
            progress("proofs", f"pymerkle build stopped at {size} leaves after {BUILD_LIMIT_S} s")
            break
        stop = min(n, size + BUILD_CHUNK)
        size = tree.append_entries(synthetic_leaf(i) for i in range(size, stop))
        if size % 200_000 == 0 or size == n:
            progress(
                "proofs", f"pymerkle SqliteTree {size}/{n} ({time.perf_counter() - start:.1f} s)"
            )
    return tree, time.perf_counter() - start


def fill_sceau_nodes(n: int) -> tuple[float, int]:
    """JournalNode rows of a tree of ``n`` synthetic leaves, as ``record`` would store them."""
    from django.db import connection, transaction

    from sceau.journal import merkle
    from sceau.journal.models import JournalHead, JournalNode

    start = time.perf_counter()
    nodes: dict[merkle.NodeId, bytes] = {}
    get = nodes.__getitem__
    sha = hashlib.sha256
    for i in range(n):
        for node, value in merkle.append_nodes(i, sha(b"\x00" + synthetic_leaf(i)).digest(), get):
            nodes[node] = value
    progress(
        "proofs", f"Sceau: {len(nodes)} node hashes computed ({time.perf_counter() - start:.1f} s)"
    )
    with transaction.atomic():
        batch: list[JournalNode] = []
        done = 0
        for (level, index), value in nodes.items():
            batch.append(JournalNode(level=level, index=index, hash=value))
            if len(batch) == NODE_BATCH:
                JournalNode.objects.bulk_create(batch, batch_size=NODE_BATCH)
                done += len(batch)
                batch = []
                if done % 500_000 == 0:
                    progress(
                        "proofs",
                        f"Sceau JournalNode rows {done}/{len(nodes)} "
                        f"({time.perf_counter() - start:.1f} s)",
                    )
        JournalNode.objects.bulk_create(batch, batch_size=NODE_BATCH)
        # A synthetic tree has no entries, so the head jumps to n at once: this scratch database
        # (SQLite, made for this run) lifts the guard that lets an append move it by one only.
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER journal_head_one_step")
        JournalHead.objects.filter(pk=1).update(next_index=n)
    return time.perf_counter() - start, len(nodes)


def child_proofs(n: int, count: int, seed: int, work: Path) -> dict[str, Any]:
    tree, pm_build_s = build_pymerkle_tree(work / "pymerkle.db", n)
    n = tree.get_size()  # smaller than asked only if the build hit BUILD_LIMIT_S
    setup_django(work / "sceau")
    from sceau.journal import merkle, transparency

    fill_s, rows = fill_sceau_nodes(n)
    if transparency.committed_size() != n:
        raise SystemExit("JournalHead.next_index does not match the nodes written")
    if transparency.root_hash(n) != tree.get_root():
        raise SystemExit("pymerkle and Sceau disagree on the root of the same leaves")
    progress("proofs", f"Sceau and pymerkle agree on the root of {n} leaves")

    rng = random.Random(seed)
    inclusions = []
    for _ in range(count):
        size = rng.randint(1, n)
        inclusions.append((rng.randrange(size), size))
    consistencies = []
    for _ in range(count):
        second = rng.randint(2, n)
        consistencies.append((rng.randint(1, second - 1), second))

    # Spot checks, outside the timings: same paths, and Sceau's proofs verify (RFC 9162).
    for index, size in inclusions[:20]:
        proof = transparency.inclusion_proof(index, size)
        leaf = hashlib.sha256(b"\x00" + synthetic_leaf(index)).digest()
        merkle.verify_inclusion(leaf, index, size, proof, transparency.root_hash(size))
        if tree.prove_inclusion(index + 1, size).path[1:] != proof:
            raise SystemExit(f"pymerkle and Sceau disagree on the inclusion path {index, size}")
    for first, second in consistencies[:20]:
        proof = transparency.consistency_proof(first, second)
        merkle.verify_consistency(
            first, second, transparency.root_hash(first), transparency.root_hash(second), proof
        )

    def timed(label: str, call: Any, pairs: list[tuple[int, int]]) -> float:
        start = time.perf_counter()
        for a, b in pairs:
            call(a, b)
        elapsed = time.perf_counter() - start
        progress("proofs", f"{label}: {count} in {elapsed:.2f} s")
        return elapsed

    result: dict[str, Any] = {
        "n": n,
        "count": count,
        "sceau_fill_s": fill_s,
        "sceau_rows": rows,
        "pymerkle_build_s": pm_build_s,
    }
    for kind, pairs, sceau_call, pm_call in (
        ("inclusion", inclusions, transparency.inclusion_proof, tree.prove_inclusion),
        ("consistency", consistencies, transparency.consistency_proof, tree.prove_consistency),
    ):
        shift = 1 if kind == "inclusion" else 0  # pymerkle's leaf indices count from one
        pm_pairs = [(a + shift, b) for a, b in pairs]
        tree.cache_clear()  # pymerkle starts cold, as after a restart; its cache then warms
        result[f"{kind}_pymerkle_cold_s"] = timed(
            f"pymerkle {kind} (cold cache)", pm_call, pm_pairs
        )
        result[f"{kind}_pymerkle_warm_s"] = timed(
            f"pymerkle {kind} (warm cache)", pm_call, pm_pairs
        )
        result[f"{kind}_pymerkle_cache"] = list(tree.get_cache_info())
        result[f"{kind}_sceau_s"] = timed(f"Sceau {kind}", sceau_call, pairs)
        result[f"{kind}_sceau_again_s"] = timed(f"Sceau {kind} (again)", sceau_call, pairs)
    tree.close()
    return result


# -- 3. verifying an export ------------------------------------------------------------------------


def export_leaves(begin: int, end: int) -> list[str]:
    """Canonical leaves shaped like those ``record`` writes, one millisecond apart."""
    from sceau.journal.canonical import canonical_json

    base = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    names = ("Maître Léa Dupont-Hérault", "Jean Martin", "Clerc d'étude", "sceau")
    kinds = ("officer", "recipient", "api", "system")
    leaves = []
    for i in range(begin, end):
        action, kind = ACTIONS[i % len(ACTIONS)]
        who = i % len(names)
        leaf = canonical_json(
            {
                "index": i,
                "time": (base + timedelta(milliseconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "actor": {"kind": kinds[who], "id": str(40 + who), "name": names[who]},
                "action": action,
                "object": {"kind": kind, "id": str(10_000 + i)},
                "office": 1 + i % 7,
                "dossier": 100 + i // 10,
                "details": {"name": f"acte-{i}.pdf", "size": 120_000 + i, "via": "web"},
            }
        )
        leaves.append(leaf)
    return leaves


def _export_chunk(begin: int) -> list[str]:
    return export_leaves(begin, begin + EXPORT_CHUNK)


def write_export(directory: Path, n: int) -> tuple[list[bytes], bytes]:
    """entries.jsonl, tree-head.json and public-keys.pem, as ``transparency.export`` writes."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from sceau.journal import merkle, signing, verifier

    directory.mkdir(parents=True)
    compact = merkle.CompactRange()
    leaves: list[bytes] = []
    start = time.perf_counter()
    # canonical_json is the slow part: the leaves are made in chunks by every core.
    with (
        open(directory / verifier.ENTRIES, "w", encoding="utf-8") as fh,
        multiprocessing.get_context("fork").Pool(nproc()) as pool,
    ):
        i = 0
        for chunk in pool.imap(_export_chunk, range(0, n, EXPORT_CHUNK)):
            for leaf in chunk[: n - i]:
                data = leaf.encode()
                leaves.append(data)
                compact.append(hashlib.sha256(b"\x00" + data).digest())
                fh.write(json.dumps({"index": i, "leaf": leaf}, ensure_ascii=False) + "\n")
                i += 1
                if i % 250_000 == 0:
                    progress("verify", f"export {i}/{n} ({time.perf_counter() - start:.1f} s)")
    key = Ed25519PrivateKey.generate()
    root = compact.root()
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    head = signing.sign_tree_head(key, n, root, stamp)
    (directory / verifier.TREE_HEAD).write_text(json.dumps(head, indent=2) + "\n")
    (directory / verifier.PUBLIC_KEYS).write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return leaves, root


def child_verify(n: int, work: Path) -> dict[str, Any]:
    from pymerkle import InmemoryTree

    from sceau.journal import verifier
    from sceau.journal.verifier import cli

    directory = work / "export"
    leaves, root = write_export(directory, n)
    size_mb = (directory / verifier.ENTRIES).stat().st_size / 1e6
    jobs = cli._default_jobs()
    runs = {}
    for label, argv in (
        ("default", [str(directory)]),
        ("one job", [str(directory), "--jobs", "1"]),
    ):
        options = " ".join(argv[1:]) or f"(default: --jobs {jobs})"
        progress("verify", f"sceau-verify DIR {options}")
        start = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):
            code = cli.main(argv)
        runs[label] = time.perf_counter() - start
        if code != 0:
            raise SystemExit(f"sceau-verify returned {code} on a valid export")
    progress("verify", f"pymerkle InmemoryTree.init_from_entries({n} leaves) + get_root()")
    start = time.perf_counter()
    tree = InmemoryTree.init_from_entries(leaves)
    pm_root = tree.get_root()
    pm_s = time.perf_counter() - start
    if pm_root != root:
        raise SystemExit("pymerkle's root differs from the signed root")
    return {
        "n": n,
        "entries_mb": size_mb,
        "jobs": jobs,
        "sceau_s": runs["default"],
        "sceau_one_job_s": runs["one job"],
        "pymerkle_s": pm_s,
    }


# -- parent ----------------------------------------------------------------------------------------


def run_child(part: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Run one measurement in a child process (progress on stderr, JSON on stdout)."""
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            part,
            "--dir",
            str(work),
            "--entries",
            str(args.entries),
            "--appends",
            str(args.appends),
            "--proofs",
            str(args.proofs),
            "--seed",
            str(args.seed),
        ],
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"the {part} measurement failed (exit {out.returncode})")
    return json.loads(out.stdout.strip().splitlines()[-1])


def verdict(ratio: float, target: float) -> str:
    return f"{ratio:8.2f}  {'met' if ratio >= target else 'NOT met'} (target >= {target:g})"


def report_appends(r: dict[str, Any]) -> bool:
    n = r["n"]
    sceau = n / r["sceau_s"]
    default = n / r["pymerkle_default_s"]
    wal = n / r["pymerkle_wal_s"]
    full = n / r["sceau_full_s"]
    print(f"1. Single appends, each committed in its own transaction ({n} appends, fresh files)")
    print(f"   Sceau record()                   {sceau:9.0f} /s  ({r['sceau_pragmas']})")
    print(f"   pymerkle SqliteTree.append_entry {default:9.0f} /s  ({r['pymerkle_pragmas']},")
    print("     its defaults; append_entry commits each entry itself: no extra commit added)")
    print(f"   pymerkle, Sceau's PRAGMAs        {wal:9.0f} /s  (journal_mode=wal, synchronous=1)")
    print(f"   Sceau record(), synchronous=FULL {full:9.0f} /s  (info: {r['sceau_full_pragmas']})")
    print(
        f"   pymerkle appended the very leaves Sceau wrote (mean {r['leaf_bytes']:.0f} bytes), "
        "pre-encoded; both gave the same root."
    )
    print(f"   ratio Sceau / pymerkle, each as shipped  {verdict(sceau / default, TARGET_APPENDS)}")
    print(f"   ratio Sceau / pymerkle, same PRAGMAs     {sceau / wal:8.2f}  (info)")
    print(f"   ratio Sceau FULL / pymerkle as shipped   {full / default:8.2f}  (info: both fsync)")
    print(
        "   Caveat: as shipped, pymerkle fsyncs every commit (rollback journal, synchronous=FULL)"
        " and Sceau does not (WAL, synchronous=NORMAL: a power cut may lose the last commits)."
    )
    print()
    return sceau / default >= TARGET_APPENDS


def report_proofs(r: dict[str, Any], asked: int) -> bool:
    n, count = r["n"], r["count"]
    print(f"2. Proofs in a tree of {n} entries ({count} random requests of each kind)")
    if n < asked:
        print(
            f"   NOTE: pymerkle's SqliteTree reached only {n} of {asked} leaves in "
            f"{BUILD_LIMIT_S:g} s; both sides use {n}."
        )
    print(
        f"   Sceau: JournalNode filled directly ({r['sceau_rows']} rows in "
        f"{r['sceau_fill_s']:.1f} s) with merkle.append_nodes over synthetic leaf hashes and "
        "bulk_create;"
    )
    print(
        "     no JournalEntry rows (proofs never read them); JournalHead.next_index set to "
        f"{n}. Proofs through transparency.inclusion_proof / consistency_proof."
    )
    print(
        f"   pymerkle: SqliteTree built with append_entries in {r['pymerkle_build_s']:.1f} s; "
        "prove_inclusion(index + 1, size) / prove_consistency(size1, size2)."
    )
    print("   Requests: index < size <= n and 1 <= size1 < size2 <= n, uniformly random.")
    ok = True
    for kind in ("inclusion", "consistency"):
        sceau = r[f"{kind}_sceau_s"]
        again = r[f"{kind}_sceau_again_s"]
        cold = r[f"{kind}_pymerkle_cold_s"]
        warm = r[f"{kind}_pymerkle_warm_s"]
        cached, _, hits, misses = r[f"{kind}_pymerkle_cache"]
        print(
            f"   {kind:<11} Sceau {1e3 * sceau / count:7.2f} ms/proof (again "
            f"{1e3 * again / count:.2f})   pymerkle cold cache {1e3 * cold / count:7.2f} ms, "
            f"warm {1e3 * warm / count:7.2f} ms"
        )
        print(
            f"     pymerkle subroot cache after both passes: ~{cached / 1e6:.1f} MB, {hits} hits, "
            f"{misses} misses"
        )
        ratio = cold / sceau
        ok &= ratio >= TARGET_PROOFS
        print(f"     ratio pymerkle (cold) / Sceau         {verdict(ratio, TARGET_PROOFS)}")
        print(f"     ratio pymerkle (warm) / Sceau (again) {warm / again:8.2f}  (info)")
    print()
    return ok


def report_verify(r: dict[str, Any]) -> bool:
    n = r["n"]
    print(f"3. Verifying an export of {n} entries ({r['entries_mb']:.0f} MB entries.jsonl)")
    print(
        "   Export written directly (not through the database): canonical_json leaves shaped "
        "like record()'s, Ed25519-signed tree head."
    )
    print(
        f"   sceau-verify DIR (--jobs {r['jobs']}, the default)  {r['sceau_s']:7.2f} s "
        f"({n / r['sceau_s']:,.0f} entries/s): reads the files, checks signature, JSON, "
        "canonical form, indices, times, root"
    )
    print(f"   sceau-verify DIR --jobs 1             {r['sceau_one_job_s']:7.2f} s")
    print(
        f"   pymerkle InmemoryTree + get_root      {r['pymerkle_s']:7.2f} s "
        "(leaves already in memory as bytes; only hashes them)"
    )
    ratio = r["pymerkle_s"] / r["sceau_s"]
    print(f"   ratio pymerkle / Sceau (default)      {verdict(ratio, TARGET_VERIFY)}")
    one = r["pymerkle_s"] / r["sceau_one_job_s"]
    print(f"   ratio pymerkle / Sceau (--jobs 1)     {one:8.2f}  (info)")
    print()
    return ratio >= TARGET_VERIFY


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000, help="tree size, parts 2-3")
    parser.add_argument("--appends", type=int, default=5000, help="single appends, part 1")
    parser.add_argument("--proofs", type=int, default=1000, help="proofs of each kind, part 2")
    parser.add_argument("--parts", default="appends,proofs,verify", help="which measurements")
    parser.add_argument("--seed", type=int, default=9162)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child is not None:
        work = args.dir
        children = {
            "appends": lambda: child_appends(args.appends, work),
            "proofs": lambda: child_proofs(args.entries, args.proofs, args.seed, work),
            "verify": lambda: child_verify(args.entries, work),
        }
        print(json.dumps(children[args.child]()))
        return 0

    started = time.perf_counter()
    pymerkle_version = ensure_pymerkle()
    import django

    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    print_machine(
        args.dir,
        "work dir",
        [
            ("sqlite", sqlite3.sqlite_version),
            ("django", django.get_version()),
            ("pymerkle", pymerkle_version),
        ],
    )
    print(flush=True)

    results: dict[str, dict[str, Any]] = {}
    for part in parts:
        work = Path(tempfile.mkdtemp(prefix=f"sceau-bench-journal-{part}-", dir=args.dir))
        try:
            print(f"Running {part} ...", flush=True)
            results[part] = run_child(part, args, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print()

    ok = True
    if "appends" in results:
        ok &= report_appends(results["appends"])
    if "proofs" in results:
        ok &= report_proofs(results["proofs"], args.entries)
    if "verify" in results:
        ok &= report_verify(results["verify"])
    print(f"Result: {'every target met' if ok else 'some targets NOT met'}.")
    load = os.getloadavg()
    print(f"Load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"Total time: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
