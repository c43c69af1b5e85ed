"""`sceau journal export|verify|sign|prune|rotate-key`."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sceau.journal import signing, transparency


class Command(BaseCommand):
    help = (
        "export DIR [--dossier ID]: files for sceau-verify; verify: recheck the live journal; "
        "sign: make a signed tree head now; prune: empty entries past retention; "
        "rotate-key: new tree-head signing key (old ones stay published)."
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export")
        export.add_argument("directory")
        export.add_argument("--dossier", type=int, default=None, metavar="ID")
        for name in ("verify", "sign", "prune", "rotate-key"):
            sub.add_parser(name)

    def handle(self, *args, action: str, **opts) -> None:
        if action == "export":
            target = Path(opts["directory"])
            if target.exists() and any(target.iterdir()):
                raise CommandError(f"{target} is not empty: choose a new directory.", returncode=2)
            head = transparency.export(target, opts["dossier"])
            self.stdout.write(
                f"export : {head.tree_size} entrées signées, racine {head.root_hash} -> {target}"
            )
        elif action == "verify":
            try:
                report = transparency.verify_live()
            except transparency.JournalCorrupted as exc:
                raise CommandError(f"journal NON conforme : {exc.message}", returncode=1) from None
            self.stdout.write(
                f"journal conforme : {report.entries} entrées, {report.nodes} sous-arbres, "
                f"{report.tree_heads} tree heads vérifiés, racine {report.root}"
            )
        elif action == "sign":
            head = transparency.make_tree_head()
            self.stdout.write(f"tree head : taille {head.tree_size}, racine {head.root_hash}")
        elif action == "prune":
            self.stdout.write(f"élagage : {transparency.prune()} entrée(s) vidée(s)")
        else:
            self.stdout.write(f"clé de signature courante : {signing.rotate()}")
