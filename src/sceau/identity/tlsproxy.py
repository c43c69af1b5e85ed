"""nginx configuration for officers' TLS client certificates, from deploy/nginx/ templates.

One site template (``deploy/nginx/sceau-site.conf.in``) serves both the production site
(:func:`render_site`, printed by ``sceau tls site``) and the local nginx of ``make serve-tls``
and of the tests (:func:`write_local`, wrapped in ``nginx-local.conf.in``): what the tests
prove is what production runs. This module does not import Django.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parents[3] / "deploy" / "nginx"
SITE_TEMPLATE = "sceau-site.conf.in"
LOCAL_TEMPLATE = "nginx-local.conf.in"
UPLOAD_MARGIN_BYTES = 10_000_000  # multipart framing and form fields around the document
_PLACEHOLDER = re.compile(r"@[A-Z_]+@")
_UNSAFE = re.compile(r"[\s;{}'\"#$\\]")

REDIRECT_SERVER = """
# Plain HTTP only redirects to HTTPS.
server {
    listen 80;
    listen [::]:80;
    server_name @SERVER_NAME@;
    server_tokens off;
    access_log off;  # the request line may carry a secret (see log_format sceau_redacted)
    return 301 https://$host$request_uri;
}
"""


class TlsProxyError(Exception):
    """The nginx configuration cannot be rendered or nginx cannot be found; says what to do."""


@dataclass(frozen=True)
class SiteOptions:
    """Values of the site template's placeholders."""

    server_name: str
    server_cert: Path
    server_key: Path
    client_ca: Path
    client_crl: Path
    upstream: str = "127.0.0.1:8000"
    listen: str = "443"
    max_upload_bytes: int = 200_000_000
    verify_depth: int = 2
    proxy_bind: str = ""  # source address towards gunicorn ("" lets the system choose)
    access_log: str = "/var/log/nginx/sceau.access.log"  # format sceau_redacted: no secret


def _template(name: str) -> str:
    path = TEMPLATE_DIR / name
    try:
        return path.read_text("utf-8")
    except OSError as exc:
        raise TlsProxyError(
            f"{path}: template missing ({exc}); run Sceau from its source tree (pip install -e)."
        ) from None


def _word(name: str, value: str) -> str:
    """A value put into the configuration: one nginx word, nothing that could add a directive."""
    value = str(value)
    if not value or _UNSAFE.search(value):
        raise TlsProxyError(f"{name}={value!r}: expected one word without spaces, quotes or ;.")
    return value


def _substitute(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    left = _PLACEHOLDER.findall(text)
    if left:
        raise TlsProxyError(f"placeholders without a value: {', '.join(sorted(set(left)))}")
    return text


def render_site(options: SiteOptions) -> str:
    """The site's ``upstream`` and ``server`` blocks (nginx http context)."""
    server_names = " ".join(_word("server_name", n) for n in options.server_name.split())
    if not server_names:
        raise TlsProxyError("server_name: give at least one host name.")
    if not 1 <= options.verify_depth <= 10:
        raise TlsProxyError("verify_depth: expected 1 to 10.")
    proxy_bind = (
        f"proxy_bind {_word('proxy_bind', options.proxy_bind)};"
        if options.proxy_bind
        else "# proxy_bind: none, the system chooses the source address towards gunicorn"
    )
    return _substitute(
        _template(SITE_TEMPLATE),
        {
            "UPSTREAM": _word("upstream", options.upstream),
            "LISTEN": _word("listen", options.listen),
            "SERVER_NAME": server_names,
            "SERVER_CERT": _word("server_cert", str(options.server_cert)),
            "SERVER_KEY": _word("server_key", str(options.server_key)),
            "CLIENT_CA": _word("client_ca", str(options.client_ca)),
            "CLIENT_CRL": _word("client_crl", str(options.client_crl)),
            "VERIFY_DEPTH": str(int(options.verify_depth)),
            "MAX_BODY": str(int(options.max_upload_bytes) + UPLOAD_MARGIN_BYTES),
            "PROXY_BIND": proxy_bind,
            "ACCESS_LOG": _word("access_log", options.access_log),
        },
    )


def render_production_site(options: SiteOptions) -> str:
    """The production site file: the TLS site plus a plain-HTTP server that redirects."""
    names = " ".join(_word("server_name", n) for n in options.server_name.split())
    return render_site(options) + _substitute(REDIRECT_SERVER, {"SERVER_NAME": names})


def render_local(options: SiteOptions, directory: Path, *, as_root: bool | None = None) -> str:
    """A complete nginx.conf running from ``directory`` (pid, logs, temporary files)."""
    if as_root is None:
        as_root = os.geteuid() == 0
    options = dataclasses.replace(options, access_log=str(Path(directory) / "access.log"))
    site = "\n".join(("    " + line) if line else "" for line in render_site(options).splitlines())
    return _substitute(
        _template(LOCAL_TEMPLATE),
        {
            "USER": "user root;" if as_root else "# user: the one who starts nginx",
            "DIR": _word("directory", str(directory)),
            "SITE": site,
        },
    )


def write_local(options: SiteOptions, directory: Path) -> Path:
    """Write ``directory/nginx.conf`` and create its temporary directories; return its path."""
    directory = Path(directory).resolve()
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (directory / "tmp" / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / "nginx.conf"
    path.write_text(render_local(options, directory), "utf-8")
    return path


def find_nginx() -> str:
    """The nginx executable; TlsProxyError saying how to install it otherwise."""
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if not found:
        raise TlsProxyError(
            "nginx is missing: run `make sysdeps` (Debian package nginx), then try again."
        )
    return found


def nginx_command(directory: Path, *extra: str) -> list[str]:
    """The command that runs (or, with ``-t``, checks) the local nginx of ``directory``."""
    directory = Path(directory).resolve()
    return [
        find_nginx(),
        "-p",
        f"{directory}/",
        "-c",
        str(directory / "nginx.conf"),
        "-e",
        str(directory / "error.log"),
        *extra,
    ]
