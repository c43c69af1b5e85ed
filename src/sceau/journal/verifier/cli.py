"""``sceau-verify``: the command line of the journal verifier (an export, or an evidence bundle)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .bundle import verify_bundle
from .errors import InputError, VerificationError
from .export import verify_export


def _default_jobs() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


def main(argv: list[str] | None = None) -> int:
    """``sceau-verify DIR [--previous FILE] [--jobs N]``: 0 verified, 1 failed, 2 unusable."""
    parser = argparse.ArgumentParser(
        prog="sceau-verify",
        description="Vérifie un export du journal Sceau (RFC 9162) / "
        "verify an export of the Sceau journal.",
    )
    parser.add_argument("directory", type=Path, nargs="?", help="export directory")
    parser.add_argument(
        "--bundle", type=Path, metavar="FILE.zip", help="an evidence bundle of a dossier"
    )
    parser.add_argument(
        "--previous",
        type=Path,
        metavar="OLD-TREE-HEAD.json",
        help="an older signed tree head that this export must extend",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=_default_jobs(),
        metavar="N",
        help="processes checking entries (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if (args.directory is None) == (args.bundle is None):
        parser.error("give an export directory or --bundle FILE.zip")
    try:
        if args.bundle is not None:
            report = verify_bundle(args.bundle)
        else:
            report = verify_export(args.directory, args.previous, jobs=args.jobs)
    except InputError as exc:
        print(f"sceau-verify: {exc.message}", file=sys.stderr)
        return 2
    except VerificationError as exc:
        print(f"ÉCHEC / FAILED: {exc.message}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
