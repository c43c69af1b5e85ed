"""Rendering of the nginx configuration (deploy/nginx/) and `sceau tls`."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sceau.identity import tlsproxy

OPTIONS = tlsproxy.SiteOptions(
    server_name="sceau.example.fr",
    server_cert=Path("/etc/ssl/sceau/fullchain.pem"),
    server_key=Path("/etc/ssl/sceau/privkey.pem"),
    client_ca=Path("/etc/ssl/sceau/profession-ca.pem"),
    client_crl=Path("/etc/ssl/sceau/profession-crl.pem"),
    max_upload_bytes=200_000_000,
)


def test_the_production_site_has_every_safeguard():
    site = tlsproxy.render_production_site(OPTIONS)
    for line in (
        "listen 443 ssl http2;",
        "server_name sceau.example.fr;",
        "ssl_protocols TLSv1.2 TLSv1.3;",
        "ssl_client_certificate /etc/ssl/sceau/profession-ca.pem;",
        "ssl_crl /etc/ssl/sceau/profession-crl.pem;",
        "ssl_verify_client optional;",
        "ssl_verify_depth 2;",
        "error_page 495 496 = @certificate_refused;",
        "client_max_body_size 210000000;",
        "proxy_request_buffering off;",
        "server 127.0.0.1:8000;",
        "return 301 https://$host$request_uri;",
    ):
        assert line in site, line
    # Both locations overwrite every header Sceau believes.
    for header in ("X-SSL-Client-Verify", "X-SSL-Client-Cert", "X-Real-IP", "X-Forwarded-Proto"):
        assert site.count(f"proxy_set_header {header} ") == 2, header
    assert not re.search(r"^\s*proxy_bind ", site, re.MULTILINE)
    assert "@" not in site.replace("@certificate_refused", "")


@pytest.mark.parametrize(
    "change",
    [
        {"server_name": "a.fr; include /etc/passwd"},
        {"upstream": "127.0.0.1:8000;}"},
        {"client_crl": Path("/tmp/a b.pem")},
        {"proxy_bind": "127.0.0.2 transparent"},
        {"server_name": " "},
        {"verify_depth": 0},
    ],
)
def test_values_cannot_add_directives(change):
    with pytest.raises(tlsproxy.TlsProxyError):
        tlsproxy.render_site(dataclasses.replace(OPTIONS, **change))


def test_the_local_configuration_runs_from_its_directory(tmp_path):
    options = dataclasses.replace(OPTIONS, proxy_bind="127.0.0.2", listen="127.0.0.1:8443")
    as_root = tlsproxy.render_local(options, tmp_path, as_root=True)
    assert "\nuser root;\ndaemon off;\n" in as_root
    assert f"pid {tmp_path}/nginx.pid;" in as_root and "daemon off;" in as_root
    assert "        proxy_bind 127.0.0.2;" in as_root
    assert "\nuser root;" not in tlsproxy.render_local(options, tmp_path, as_root=False)
    path = tlsproxy.write_local(options, tmp_path)
    assert (tmp_path / "tmp" / "body").is_dir() and path.read_text().count("server {") == 1


@pytest.mark.django_db
def test_sceau_tls_site_prints_the_site(capsys):
    call_command(
        "tls",
        "site",
        "--server-name",
        "sceau.example.fr",
        "--cert",
        "/c.pem",
        "--key",
        "/k.pem",
        "--client-ca",
        "/ca.pem",
        "--crl",
        "/crl.pem",
    )
    assert "ssl_client_certificate /ca.pem;" in capsys.readouterr().out
    with pytest.raises(CommandError) as caught:
        call_command(
            "tls",
            "site",
            "--server-name",
            "x;y",
            "--cert",
            "/c.pem",
            "--key",
            "/k.pem",
            "--client-ca",
            "/ca.pem",
            "--crl",
            "/crl.pem",
        )
    assert caught.value.returncode == 2


@pytest.mark.django_db
def test_serve_local_is_refused_in_production(settings):
    settings.CONFIG = dataclasses.replace(settings.CONFIG, production=True)
    with pytest.raises(CommandError) as caught:
        call_command("tls", "serve-local")
    assert caught.value.returncode == 2 and "production" in str(caught.value)
