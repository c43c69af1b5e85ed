"""Vault throughput and memory benchmark.

Usage::

    python benchmarks/vault.py [--sizes 1MB,100MB,2GB] [--dir DIR] [--chunk-size 1MiB]

Measures, in the same run:

a) this machine's AES-256-GCM and SHA-256 speeds with ``openssl speed`` (1 MiB blocks, 3 s
   each), combined into the one-pass bound 1 / (1/aes + 1/sha): what one core can do when every
   byte is both encrypted and hashed;
b) deposit throughput through ``Vault.seal`` (LocalBlobStore in a temporary directory under
   ``--dir``, FileKeyring), for generated documents fed 64 KiB at a time from a generator, and
   consultation throughput (``Vault.open`` fully consumed). A deposit ends with the fsync of the
   blob, so it includes getting the ciphertext durably onto the disk;
c) the peak RSS of the process, each size running in its own child process.

Target: deposit and consultation at least 0.8 x the bound, and peak RSS flat across sizes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from machine import print_machine  # benchmarks/machine.py (this folder is on sys.path)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

FEED = 64 * 1024
TARGET_RATIO = 0.8
FLAT_RSS_MB = 16.0
JUDGED_FROM = 100 * 10**6
UNITS = {
    "": 1,
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "KIB": 1 << 10,
    "MIB": 1 << 20,
    "GIB": 1 << 30,
}


def parse_size(text: str) -> int:
    """Parse "100MB", "2GB", "1MiB" or a plain byte count."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]i?B|B)?\s*", text, re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError(f"bad size {text!r} (examples: 1MB, 100MB, 2GB, 1MiB)")
    return int(float(match.group(1)) * UNITS[(match.group(2) or "").upper()])


def human(n: int) -> str:
    """Size in decimal units."""
    for unit, factor in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if n >= factor:
            return f"{n / factor:g} {unit}"
    return f"{n} B"


# -- machine ---------------------------------------------------------------------------------------


def openssl_version() -> str:
    try:
        return subprocess.run(
            ["openssl", "version"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "openssl not found"


def openssl_speed(algorithm: str, seconds: int) -> float | None:
    """Bytes per second of ``openssl speed -evp ALGORITHM`` on 1 MiB blocks, or None."""
    try:
        out = subprocess.run(
            ["openssl", "speed", "-evp", algorithm, "-bytes", "1048576", "-seconds", str(seconds)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    # The table ends with e.g. "AES-256-GCM    2328887.30k" (thousands of bytes per second).
    for line in reversed(out.splitlines()):
        match = re.match(r"^(\S+)\s+([\d.]+)k\s*$", line.strip())
        if match and match.group(1).lower().replace("-", "") == algorithm.replace("-", ""):
            return float(match.group(2)) * 1000
    return None


def in_process_speeds(seconds: float = 1.0) -> tuple[float, float]:
    """AES-256-GCM and SHA-256 bytes per second through the Python libraries Sceau uses."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    block = os.urandom(1 << 20)
    aead = AESGCM(os.urandom(32))

    def rate(step: object) -> float:
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            step()  # type: ignore[operator]
            done += len(block)
        return done / (time.perf_counter() - start)

    digest = hashlib.sha256()
    return rate(lambda: aead.encrypt(b"\0" * 12, block, b"")), rate(lambda: digest.update(block))


def bound(aes: float, sha: float) -> float:
    """One-pass bound: every byte encrypted and hashed, one after the other, on one core."""
    return 1 / (1 / aes + 1 / sha)


# -- one size, in a child process ------------------------------------------------------------------


def document(size: int) -> Iterator[memoryview | bytes]:
    """A PDF-shaped document of ``size`` bytes, in 64 KiB pieces, cheap to generate.

    A random 1 MiB block, with its first 8 bytes changed for every MiB, so no two MiB repeat.
    """
    head, tail = b"%PDF-1.7\n", b"\nstartxref\n0\n%%EOF\n"
    block = bytearray(os.urandom(1 << 20))
    view = memoryview(block)
    yield head
    sent, counter, end = len(head), 0, size - len(tail)
    while sent < end:
        block[:8] = counter.to_bytes(8, "big")
        counter += 1
        for offset in range(0, len(block), FEED):
            n = min(FEED, end - sent)
            if n <= 0:
                break
            yield view[offset : offset + n]
            sent += n
    yield tail


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child(size: int, directory: Path, chunk_size: int) -> dict[str, float]:
    """Deposit and consult one document; return timings and memory."""
    from sceau.vault.blobstores import LocalBlobStore
    from sceau.vault.core import Vault
    from sceau.vault.keyring import FileKeyring

    work = Path(tempfile.mkdtemp(prefix="sceau-bench-", dir=directory))
    try:
        vault = Vault(
            LocalBlobStore(work / "blobs"),
            FileKeyring(work / "keys" / "keyring.json"),
            max_bytes=size,
            chunk_size=chunk_size,
        )
        vault.keys.current_key_id()
        for _ in document(1 << 20):  # warm up the generator code path
            pass
        rss_before = max_rss_mb()

        start = time.perf_counter()
        sealed = vault.seal(document(size))
        deposit = time.perf_counter() - start

        start = time.perf_counter()
        received = 0
        for chunk in vault.open(
            sealed.blob_name, sealed.key_id, sealed.wrapped_key, sealed.sha256, sealed.size
        ):
            received += len(chunk)
        consult = time.perf_counter() - start
        if received != size:
            raise SystemExit(f"consultation returned {received} bytes instead of {size}")
        return {
            "size": size,
            "deposit_s": deposit,
            "open_s": consult,
            "rss_before_mb": rss_before,
            "peak_rss_mb": max_rss_mb(),
            "stored_size": sealed.stored_size,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_child(size: int, directory: Path, chunk_size: int) -> dict[str, float]:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            str(size),
            "--dir",
            str(directory),
            "--chunk-size",
            str(chunk_size),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"child for {human(size)} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- report ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1MB,100MB,2GB", help="comma-separated sizes")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--chunk-size", type=parse_size, default=None, help="envelope chunk")
    parser.add_argument("--seconds", type=int, default=3, help="openssl speed duration")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    from cryptography.hazmat.backends.openssl.backend import backend

    from sceau.vault.envelope import CHUNK_SIZE

    chunk_size = args.chunk_size or CHUNK_SIZE
    if args.child is not None:
        print(json.dumps(child(args.child, args.dir, chunk_size)))
        return 0

    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    print_machine(
        args.dir,
        "blob dir",
        [
            ("openssl", f"{openssl_version()} (command line)"),
            ("cryptography", f"{backend.openssl_version_text()} (linked by the package)"),
            ("chunk size", f"{chunk_size} bytes"),
        ],
    )
    print()

    aes = openssl_speed("aes-256-gcm", args.seconds)
    sha = openssl_speed("sha256", args.seconds)
    py_aes, py_sha = in_process_speeds()
    py_bound = bound(py_aes, py_sha)
    print("Reference speeds (MB/s = 10^6 bytes/s)")
    if aes and sha:
        ref = bound(aes, sha)
        print(
            f"  openssl speed  AES-256-GCM {aes / 1e6:7.0f}   SHA-256 {sha / 1e6:7.0f}"
            f"   one-pass bound {ref / 1e6:7.0f}"
        )
    else:
        ref = py_bound
        print("  openssl speed unavailable: using the in-process speeds as the bound")
    print(
        f"  in process     AES-256-GCM {py_aes / 1e6:7.0f}   SHA-256 {py_sha / 1e6:7.0f}"
        f"   one-pass bound {py_bound / 1e6:7.0f}"
    )
    print()

    rows = []
    for size in sizes:
        result = run_child(size, args.dir, chunk_size)
        rows.append(result)

    header = (
        f"{'size':>9} | {'deposit MB/s':>12} {'ratio':>6} | {'open MB/s':>9} {'ratio':>6} | "
        f"{'peak RSS MB':>11} {'(start)':>8}"
    )
    print("Vault throughput (ratio = to the openssl one-pass bound)")
    print(header)
    print("-" * len(header))
    ok = True
    judged = [r for r in rows if r["size"] >= JUDGED_FROM] or rows
    for r in rows:
        dep = r["size"] / r["deposit_s"]
        opn = r["size"] / r["open_s"]
        if r in judged:
            ok &= dep / ref >= TARGET_RATIO and opn / ref >= TARGET_RATIO
        print(
            f"{human(int(r['size'])):>9} | {dep / 1e6:12.0f} {dep / ref:6.2f} | "
            f"{opn / 1e6:9.0f} {opn / ref:6.2f} | {r['peak_rss_mb']:11.1f} "
            f"{r['rss_before_mb']:8.1f}"
        )
    peaks = [r["peak_rss_mb"] for r in rows]
    spread = max(peaks) - min(peaks) if peaks else 0.0
    flat = spread <= FLAT_RSS_MB
    print()
    print(
        f"Target: ratio >= {TARGET_RATIO} for deposit and consultation, peak RSS flat "
        f"(spread <= {FLAT_RSS_MB:g} MB across sizes)."
    )
    print(
        f"Result: throughput {'met' if ok else 'NOT met'} (sizes >= {human(JUDGED_FROM)}); "
        f"peak RSS spread {spread:.1f} MB ({'flat' if flat else 'NOT flat'})."
    )
    print(
        "Note: below 100 MB the fixed costs (fsync of the blob and its directories, key "
        "wrapping, thread start) dominate, so those sizes are shown but not judged."
    )
    load = os.getloadavg()
    print(f"Load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
