"""`sceau tls site ...` / `sceau tls serve-local`: nginx in front of Sceau, with officers'
client certificates (see sceau.identity.tlsproxy and deploy/nginx/)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sceau.core.errors import SceauError
from sceau.identity import certificates, testpki, tlsproxy
from sceau.identity.models import OfficerCertificate, User
from sceau.journal.services import Actor

PROXY_BIND = "127.0.0.2"  # nginx's source address towards gunicorn: the only trusted proxy
DEMO_EMAIL = "officier@etude-demo.test"


def _sceau_command() -> list[str]:
    script = Path(sys.executable).with_name("sceau")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sceau.cli"]


class Command(BaseCommand):
    help = (
        "site --server-name NAME --cert F --key F --client-ca F --crl F: print the production "
        "nginx site | serve-local: the demo behind a local nginx with the TEST PKI "
        "(never in production)"
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        site = sub.add_parser("site", help="print the production nginx site (sites-available)")
        site.add_argument("--server-name", required=True, help="host name(s), space-separated")
        site.add_argument("--cert", required=True, help="TLS server certificate chain (PEM)")
        site.add_argument("--key", required=True, help="its private key")
        site.add_argument("--client-ca", required=True, help="CA bundle of officers' certificates")
        site.add_argument("--crl", required=True, help="CRL(s) of that CA bundle (PEM)")
        site.add_argument("--upstream", default="127.0.0.1:8000", help="where `sceau serve` is")
        site.add_argument("--listen", default="443")
        site.add_argument("--verify-depth", type=int, default=2)
        site.add_argument("--proxy-bind", default="", help="source address towards gunicorn")
        local = sub.add_parser("serve-local", help="demo behind nginx on https://127.0.0.1:PORT")
        local.add_argument("--port", type=int, default=8443)
        local.add_argument("--app-port", type=int, default=8000)
        local.add_argument("--email", default="", help="officer to issue a certificate for")

    def handle(self, *args, action: str, **opts) -> None:
        try:
            getattr(self, "do_" + action.replace("-", "_"))(**opts)
        except tlsproxy.TlsProxyError as exc:
            raise CommandError(str(exc), returncode=2) from None

    def do_site(self, **o) -> None:
        options = tlsproxy.SiteOptions(
            server_name=o["server_name"],
            server_cert=Path(o["cert"]),
            server_key=Path(o["key"]),
            client_ca=Path(o["client_ca"]),
            client_crl=Path(o["crl"]),
            upstream=o["upstream"],
            listen=o["listen"],
            max_upload_bytes=settings.CONFIG.max_upload_bytes,
            verify_depth=o["verify_depth"],
            proxy_bind=o["proxy_bind"],
        )
        self.stdout.write(tlsproxy.render_production_site(options), ending="")

    # --- make serve-tls -------------------------------------------------------------------

    def do_serve_local(self, port: int, app_port: int, email: str, **_) -> None:
        cfg = settings.CONFIG
        if cfg.production:
            raise CommandError(
                "the TEST PKI and local nginx are refused in production.", returncode=2
            )
        for name, value in (("--port", port), ("--app-port", app_port)):
            if not 0 < value < 65536:
                raise CommandError(f"{name} {value}: expected 1 to 65535.", returncode=2)
        email = (email or self._demo_email()).lower()
        user = User.objects.filter(email=email).first()
        if user is None:
            raise CommandError(f"no account {email}: run `sceau demo` first.", returncode=2)
        pki = testpki.ensure_tls_test_pki(cfg.data_dir / "tls-test")
        client = self._client_certificate(pki, user)
        nginx_dir = cfg.data_dir / "nginx"
        tlsproxy.write_local(
            tlsproxy.SiteOptions(
                server_name="127.0.0.1 localhost",
                server_cert=pki.server_cert_path,
                server_key=pki.server_key_path,
                client_ca=pki.client_ca_path,
                client_crl=pki.crl_path,
                upstream=f"127.0.0.1:{app_port}",
                listen=f"127.0.0.1:{port}",
                max_upload_bytes=cfg.max_upload_bytes,
                proxy_bind=PROXY_BIND,
            ),
            nginx_dir,
        )
        checked = subprocess.run(
            tlsproxy.nginx_command(nginx_dir, "-t", "-q"), capture_output=True, text=True
        )
        if checked.returncode != 0:
            raise CommandError(
                f"nginx refuses {nginx_dir}/nginx.conf: {checked.stderr.strip()}", returncode=2
            )
        base = f"https://127.0.0.1:{port}"
        env = dict(os.environ)
        env.update(
            SCEAU_TRUSTED_PROXIES=PROXY_BIND,
            SCEAU_HTTPS="true",
            SCEAU_PUBLIC_URL=base,
            SCEAU_DATA_DIR=str(cfg.data_dir),
        )
        app = subprocess.Popen(
            [*_sceau_command(), "serve", "--host", "127.0.0.1", "--port", str(app_port)],
            env=env,
            start_new_session=True,
        )
        nginx = subprocess.Popen(tlsproxy.nginx_command(nginx_dir), start_new_session=True)
        self._explain(base, pki, client, user)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            while app.poll() is None and nginx.poll() is None:
                time.sleep(0.5)
            which = "sceau serve" if app.poll() is not None else "nginx"
            self.stderr.write(f"{which} stopped; see {nginx_dir}/error.log and the output above")
        except KeyboardInterrupt:
            pass
        finally:
            for process in (nginx, app):
                if process.poll() is None:
                    process.terminate()
                    try:
                        process.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        process.kill()

    def _demo_email(self) -> str:
        path = settings.DATA_DIR / "demo.json"
        try:
            return json.loads(path.read_text())["officer"]["email"]
        except (OSError, ValueError, KeyError):
            return DEMO_EMAIL

    def _client_certificate(self, pki: testpki.TlsTestPki, user: User) -> testpki.ClientFiles:
        """The user's TEST client certificate, issued once and registered in Sceau."""
        stem = f"officer_{user.pk}"
        client = pki.load_client(stem)
        if client is None or client.issued.cert.not_valid_after_utc.timestamp() < time.time():
            client = pki.issue_client(stem, f"{user.full_name} (TEST)", user.email)
        if not OfficerCertificate.objects.filter(fingerprint=client.fingerprint).exists():
            try:
                certificates.register_certificate(
                    user, client.issued.pem, actor=Actor.system("sceau tls serve-local")
                )
            except SceauError as exc:
                raise CommandError(exc.message, returncode=2) from None
        pki.write_crl()
        return client

    def _explain(self, base: str, pki, client: testpki.ClientFiles, user: User) -> None:
        ca, crt, key = pki.server_ca_path, client.cert_path, client.key_path
        curl = f"curl --cacert {ca} --cert {crt} --key {key} -b jar.txt -c jar.txt"
        w = self.stdout.write
        w(f"Sceau derrière nginx (PKI de TEST, jamais en production) : {base}/connexion/")
        w(f"  certificat de {user.email} : {client.p12_path}")
        w(f"    mot de passe du PKCS#12 (import dans le navigateur) : {client.p12_password}")
        w(f"    empreinte SHA-256 : {client.fingerprint}")
        w(f"  autorité du serveur (à approuver dans le navigateur, ou curl --cacert) : {ca}")
        w("  avec curl (jeton CSRF de la page, puis connexion, puis une page de l'étude) :")
        w(
            f"    T=$({curl} -s {base}/connexion/certificat/ | "
            'sed -n \'s/.*name="csrfmiddlewaretoken" value="\\([^"]*\\)".*/\\1/p\' | head -1)'
        )
        w(
            f"    {curl} -s -o /dev/null -w '%{{http_code}} %{{redirect_url}}\\n' "
            f"-e {base}/connexion/certificat/ -d csrfmiddlewaretoken=$T "
            f"{base}/connexion/certificat/"
        )
        w(f"    {curl} -s {base}/etude/ | grep -o '<h1>.*</h1>'")
        w("  Ctrl-C arrête nginx et sceau serve.")
