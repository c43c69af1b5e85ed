"""Officers' certificates through the real chain: curl -> nginx (TLS, client certificate, CRL)
-> gunicorn (`sceau serve`), with the nginx configuration rendered from deploy/nginx/ as in
production and `make serve-tls`.

One nginx and one gunicorn for the module, on their own data directory and database (SQLite,
or a scratch PostgreSQL database when the suite runs on PostgreSQL). nginx connects from
127.0.0.2 (proxy_bind), the only trusted proxy; the tests talk from 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sceau.identity import testpki, tlsproxy

PROXY = "127.0.0.2"
STARTUP_SECONDS = 30
OFFICER = "officier@etude.test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sceau() -> list[str]:
    script = Path(sys.executable).with_name("sceau")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sceau.cli"]


def _require(tool: str) -> str:
    try:
        return tlsproxy.find_nginx() if tool == "nginx" else shutil.which(tool) or ""
    except tlsproxy.TlsProxyError as exc:
        pytest.fail(str(exc), pytrace=False)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@dataclass
class Reply:
    status: int
    body: str
    location: str
    headers: str  # the raw header block, lowercase


@dataclass
class Chain:
    base: str  # https:// through nginx
    app: str  # http:// straight to gunicorn
    pki: testpki.TlsTestPki
    certs: dict[str, testpki.ClientFiles]
    env: dict[str, str]
    root: Path

    def curl(
        self,
        url: str,
        *,
        cert: str | None = None,
        jar: Path | None = None,
        data: dict | None = None,
        headers: dict | None = None,
        referer: str | None = None,
    ) -> Reply:
        head = self.root / f"headers-{time.monotonic_ns()}.txt"
        args = ["curl", "-sS", "--max-time", "20", "-D", str(head), "-o", "-"]
        args += ["-w", "\n%{http_code} %{redirect_url}"]
        if url.startswith("https"):
            args += ["--cacert", str(self.pki.server_ca_path)]
        if cert:
            files = self.certs[cert]
            args += ["--cert", str(files.cert_path), "--key", str(files.key_path)]
        if jar is not None:
            args += ["-b", str(jar), "-c", str(jar)]
        for name, value in (headers or {}).items():
            args += ["-H", f"{name}: {value}"]
        if referer:
            args += ["-e", referer]
        if data is not None:
            args += ["--data", urllib.parse.urlencode(data)]
        done = subprocess.run([*args, url], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        body, _, last = done.stdout.rpartition("\n")
        status, _, location = last.partition(" ")
        headers = head.read_text(errors="replace").lower()
        head.unlink()
        return Reply(int(status), body, location, headers)

    def sign_in(self, cert: str, jar: Path) -> Reply:
        page = self.curl(f"{self.base}/connexion/certificat/", cert=cert, jar=jar)
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        token = found.group(1) if found else ""
        return self.curl(
            f"{self.base}/connexion/certificat/",
            cert=cert,
            jar=jar,
            data={"csrfmiddlewaretoken": token},
            referer=f"{self.base}/connexion/certificat/",
        )

    def journal(self, action: str) -> list[dict]:
        code = (
            "import json; from sceau.journal.models import JournalEntry as E; "
            f"print(json.dumps([e.details for e in E.objects.filter(action={action!r})"
            ".order_by('index')]))"
        )
        done = subprocess.run(
            [*_sceau(), "shell", "-c", code],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])


SETUP = """
from django.core.management import call_command
from sceau.identity import services
call_command("migrate", verbosity=0)
office = services.create_office("Étude Test", "1 rue A\\n69001 Lyon")
services.create_officer(office, {email!r}, "Maître Test", "unused password 12345")
for path in {paths!r}:
    call_command("accounts", "add-certificate", "--email", {email!r}, "--cert", path)
"""


@pytest.fixture(scope="module")
def chain(scratch_database, tmp_path_factory) -> Chain:
    _require("nginx")
    if not _require("curl"):
        pytest.fail("curl is missing: run `make sysdeps` (Debian package curl).", pytrace=False)
    root = tmp_path_factory.mktemp("nginx-chain")
    data_dir = root / "data"
    data_dir.mkdir(mode=0o700)
    app_port, tls_port = _free_port(), _free_port()
    base = f"https://127.0.0.1:{tls_port}"
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("SCEAU_") and k != "DATABASE_URL"
    }
    env.update(scratch_database)
    env.update(
        SCEAU_DATA_DIR=str(data_dir),
        SCEAU_TRUSTED_PROXIES=PROXY,
        SCEAU_HTTPS="true",
        SCEAU_PUBLIC_URL=base,
        SCEAU_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SETTINGS_MODULE="sceau.settings",
        PYTHONUNBUFFERED="1",
    )

    pki = testpki.ensure_tls_test_pki(root / "pki")
    now = datetime.now(UTC)
    certs = {
        "known": pki.issue_client("known", "Maître Test", OFFICER),
        "unknown": pki.issue_client("unknown", "Maître Inconnu"),
        "revoked": pki.issue_client("revoked", "Maître Test (révoqué)", OFFICER),
        "expired": pki.issue_client(
            "expired",
            "Maître Test (expiré)",
            not_before=now - timedelta(days=30),
            not_after=now - timedelta(days=1),
        ),
        "foreign": pki.issue_client("foreign", "Autre AC", ca=testpki.new_ca("AC étrangère")),
    }
    pki.revoke(certs["revoked"].issued.cert)
    paths = [str(certs["known"].cert_path), str(certs["revoked"].cert_path)]
    setup = subprocess.run(
        [*_sceau(), "shell", "-c", SETUP.format(email=OFFICER, paths=paths)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if setup.returncode != 0:
        pytest.fail(f"setup failed:\n{setup.stdout}\n{setup.stderr}", pytrace=False)

    nginx_dir = root / "nginx"
    tlsproxy.write_local(
        tlsproxy.SiteOptions(
            server_name="127.0.0.1 localhost",
            server_cert=pki.server_cert_path,
            server_key=pki.server_key_path,
            client_ca=pki.client_ca_path,
            client_crl=pki.crl_path,
            upstream=f"127.0.0.1:{app_port}",
            listen=f"127.0.0.1:{tls_port}",
            proxy_bind=PROXY,
        ),
        nginx_dir,
    )
    log = (root / "server.log").open("wb")
    app = subprocess.Popen(
        [*_sceau(), "serve", "--host", "127.0.0.1", "--port", str(app_port), "--workers", "1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    nginx = subprocess.Popen(
        tlsproxy.nginx_command(nginx_dir),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    built = Chain(base, f"http://127.0.0.1:{app_port}", pki, certs, env, root)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                if built.curl(f"{base}/connexion/").status == 200:
                    break
            except AssertionError:
                pass
            if app.poll() is not None or nginx.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(
                    "nginx or `sceau serve` did not start:\n"
                    + (root / "server.log").read_text(errors="replace")
                    + (nginx_dir / "error.log").read_text(errors="replace"),
                    pytrace=False,
                )
            time.sleep(0.2)
        yield built
    finally:
        _stop(nginx)
        _stop(app)
        log.close()


def test_the_rendered_configuration_passes_nginx_t(chain):
    done = subprocess.run(
        tlsproxy.nginx_command(chain.root / "nginx", "-t"), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_a_registered_certificate_signs_in_and_keeps_its_session(chain, tmp_path):
    jar = tmp_path / "jar"
    answer = chain.sign_in("known", jar)
    assert (answer.status, answer.location) == (302, f"{chain.base}/etude/")
    assert "__Host-sceau_session" in jar.read_text()
    page = chain.curl(f"{chain.base}/etude/", cert="known", jar=jar)
    assert page.status == 200 and "Maître Test" in page.body
    [success] = chain.journal("identity:officer:login_succeeded")
    assert success["method"] == "certificate" and success["ip"] == "127.0.0.1"
    assert success["fingerprint"] == chain.certs["known"].fingerprint
    # The same cookie without the certificate: the session ends.
    without = chain.curl(f"{chain.base}/etude/", jar=jar)
    assert without.status == 302 and without.location == f"{chain.base}/connexion/"
    again = chain.curl(f"{chain.base}/etude/", cert="known", jar=jar)
    assert again.status == 302 and "/connexion/" in again.location


@pytest.mark.parametrize(
    ("cert", "says"),
    [
        ("unknown", "n'est pas enregistré dans Sceau"),
        ("expired", "Ce certificat a expiré"),
        ("revoked", "Ce certificat a été révoqué"),
        ("foreign", "autorité de certification reconnue"),
    ],
)
def test_other_certificates_get_a_clear_refusal(chain, tmp_path, cert, says):
    jar = tmp_path / "jar"
    page = chain.curl(f"{chain.base}/connexion/certificat/", cert=cert, jar=jar)
    assert page.status == 403
    assert says in page.body.replace("&#x27;", "'")
    if cert == "unknown":
        assert chain.certs[cert].fingerprint in page.body  # to give to the administrator
        answer = chain.sign_in(cert, jar)
    else:  # refused by nginx itself (495), on any page, even a POST without CSRF token
        answer = chain.curl(f"{chain.base}/etude/", cert=cert, jar=jar, data={"x": "1"})
        assert says in answer.body.replace("&#x27;", "'")
    assert answer.status == 403
    assert chain.curl(f"{chain.base}/etude/", cert="known", jar=jar).status == 302


def test_refusals_by_nginx_are_journaled(chain):
    chain.curl(f"{chain.base}/etude/", cert="revoked")
    reasons = {e["reason"] for e in chain.journal("identity:officer:login_failed")}
    assert "revoked" in reasons


def test_no_certificate_is_not_signed_in(chain, tmp_path):
    jar = tmp_path / "jar"
    page = chain.curl(f"{chain.base}/connexion/certificat/", jar=jar)
    assert page.status == 403 and "Aucun certificat" in page.body
    assert chain.curl(f"{chain.base}/connexion/").status == 200  # parties use the same site
    assert chain.curl(f"{chain.base}/etude/", jar=jar).status == 302


def test_forged_headers_through_nginx_are_overwritten(chain, tmp_path):
    known = chain.certs["known"].issued.pem.decode()
    forged = {
        "X-SSL-Client-Verify": "SUCCESS",
        "X-SSL-Client-Cert": urllib.parse.quote(known, safe=""),
        "X-Real-IP": "203.0.113.66",
        "X-Forwarded-For": "203.0.113.66",
    }
    page = chain.curl(f"{chain.base}/connexion/certificat/", headers=forged)
    assert page.status == 403 and "Aucun certificat" in page.body
    # A CA-signed but unregistered certificate, with the registered one in a forged header:
    # nginx's header wins, and the page names the certificate really presented.
    page = chain.curl(f"{chain.base}/connexion/certificat/", cert="unknown", headers=forged)
    assert page.status == 403 and chain.certs["unknown"].fingerprint in page.body
    assert chain.certs["known"].fingerprint not in page.body
    journaled = [e["ip"] for e in chain.journal("identity:officer:login_failed")]
    assert "203.0.113.66" not in journaled


def test_forged_headers_straight_to_gunicorn_are_ignored_and_journaled(chain):
    known = chain.certs["known"].issued.pem.decode()
    forged = {
        "X-SSL-Client-Verify": "SUCCESS",
        "X-SSL-Client-Cert": urllib.parse.quote(known, safe=""),
        "X-Forwarded-Proto": "https",
    }
    answer = chain.curl(f"{chain.app}/connexion/certificat/", headers=forged)
    assert answer.status == 403 and "Aucun certificat" in answer.body
    assert "set-cookie: __host-sceau_session" not in answer.headers
    # X-Forwarded-Proto was dropped too: Django saw plain HTTP, so no HSTS header.
    assert "strict-transport-security" not in answer.headers
    through_nginx = chain.curl(f"{chain.base}/connexion/")
    assert through_nginx.headers.count("strict-transport-security") == 1
    [entry] = chain.journal("identity:certificate:untrusted_header")
    assert entry["ip"] == "127.0.0.1"
    assert "X-SSL-CLIENT-CERT" in entry["headers"]


def test_secrets_in_urls_reach_neither_access_log(chain):
    """The e-mail verification token and an OpenID Connect code are masked by nginx's
    sceau_redacted format and by gunicorn's redacting logger."""
    token, code = "VerifTokenNeverLogged42", "OidcCodeNeverLogged77"
    chain.curl(f"{chain.base}/creances/compte/verifier/{token}/")
    chain.curl(f"{chain.base}/oidc/retour/?code={code}&state=StateNeverLogged")
    time.sleep(0.5)  # let both servers flush their logs
    nginx_log = (chain.root / "nginx" / "access.log").read_text(errors="replace")
    app_log = (chain.root / "server.log").read_text(errors="replace")
    assert "/creances/compte/verifier/[masque]/" in nginx_log
    for secret in (token, code, "StateNeverLogged"):
        assert secret not in nginx_log
        assert secret not in app_log
