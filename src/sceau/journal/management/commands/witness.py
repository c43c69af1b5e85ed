"""`sceau witness serve|vkey`: run a witness of other Sceau logs (c2sp.org/tlog-witness)."""

from __future__ import annotations

import socketserver
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sceau.journal import note
from sceau.journal.witness import Witness, WitnessState, load_or_create_key


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args) -> None:
        self.server.command.stdout.write(  # type: ignore[attr-defined]
            f"witness : {self.address_string()} {format % args}"
        )


class Command(BaseCommand):
    help = (
        "serve --name NAME --log VKEY [--log VKEY ...] [--host H] [--port P] [--dir D]: witness "
        "the logs whose verifier keys are given; vkey --name NAME [--dir D]: print this "
        "witness's verifier key (to put in SCEAU_WITNESSES of the logs it witnesses)."
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for action in ("serve", "vkey"):
            p = sub.add_parser(action)
            p.add_argument("--name", required=True, help="the witness's name, e.g. its host")
            p.add_argument("--dir", type=Path, default=None, help="state and key directory")
            if action == "serve":
                p.add_argument("--log", action="append", default=[], metavar="VKEY")
                p.add_argument("--host", default="127.0.0.1")
                p.add_argument("--port", type=int, default=8100)

    def handle(self, *args, action: str, **opts) -> None:
        directory = opts["dir"] or settings.CONFIG.data_dir / "witness"
        try:
            key = load_or_create_key(directory / "witness.key")
            if action == "vkey":
                vkey = note.verifier_key(opts["name"], key.public_key(), note.COSIGNATURE)
                self.stdout.write(vkey)
                return
            if not opts["log"]:
                raise CommandError("give at least one --log VKEY to witness.", returncode=2)
            witness = Witness(opts["name"], key, opts["log"], WitnessState(directory))
        except note.CheckpointError as exc:
            raise CommandError(f"witness : {exc}", returncode=2) from None
        server = make_server(
            opts["host"], opts["port"], witness.wsgi, _ThreadingServer, _QuietHandler
        )
        server.command = self  # type: ignore[attr-defined]
        self.stdout.write(
            f"witness {witness.vkey} : {len(witness.logs)} journal(s) sur "
            f"http://{opts['host']}:{opts['port']}/add-checkpoint"
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
