"""`sceau serve`: the application behind gunicorn (a production-grade WSGI server)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # Django's own WSGI handler, for the settings this process was started with (sceau.wsgi
        # is the same thing for other servers; the kernel imports no module above it).
        from django.core.wsgi import get_wsgi_application

        return get_wsgi_application()


class Command(BaseCommand):
    help = "Serve Sceau over HTTP with gunicorn (put nginx with TLS in front in production)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)

    def handle(self, *args, host: str, port: int, workers: int, threads: int, **options) -> None:
        if not 0 < port < 65536:
            raise CommandError(f"--port {port}: expected 1 to 65535.", returncode=2)
        if workers < 1 or threads < 1:
            raise CommandError("--workers and --threads must be at least 1.", returncode=2)
        self.stdout.write(f"Sceau sur http://{host}:{port}/ (données : {settings.DATA_DIR})")
        _Gunicorn(
            {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "timeout": 600,  # large deposits stream for a while
                "accesslog": "-",
                "logger_class": "sceau.core.serving.RedactingAccessLogger",
                "errorlog": "-",
                # gunicorn believes X-Forwarded-Proto only from the TLS proxy, as Sceau does
                # (sceau.identity.proxy); nobody when SCEAU_TRUSTED_PROXIES is empty.
                "forwarded_allow_ips": ",".join(
                    str(net) for net in settings.CONFIG.trusted_proxies
                ),
            }
        ).run()
