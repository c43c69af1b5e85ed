"""A real OpenID Connect provider (tests/oidc_provider, panva/oidc-provider on Node.js) for the
OpenID Connect tests, and a browser-like driver for its side of the flow."""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from tests.identity.oidc_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    OTHER_CLIENT_ID,
    OTHER_CLIENT_SECRET,
    POST_LOGOUT_URI,
    PUBLIC_URL,
    REDIRECT_URI,
    SCOPES,
)

PROVIDER_DIR = Path(__file__).resolve().parent.parent / "oidc_provider"


@dataclass(frozen=True)
class TestProvider:
    issuer: str
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def oidc_provider():
    """Start `node provider.mjs PORT`, wait for its discovery document, stop it afterwards.

    Fails (never skips) when Node.js or the provider's node_modules are missing.
    """
    node = shutil.which("node")
    if node is None:
        pytest.fail(
            "Node.js is missing: install it (Debian: apt-get install nodejs npm, Node >= 20), "
            "then run `npm ci --prefix tests/oidc_provider` (make test does it)."
        )
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail(
            "The test OpenID Connect provider is not installed: run "
            "`npm ci --prefix tests/oidc_provider` (make test does it)."
        )
    env = {
        **os.environ,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_REDIRECT_URI": REDIRECT_URI,
        "OIDC_POST_LOGOUT_URI": POST_LOGOUT_URI,
        "OIDC_OTHER_CLIENT_ID": OTHER_CLIENT_ID,
        "OIDC_OTHER_CLIENT_SECRET": OTHER_CLIENT_SECRET,
    }
    with tempfile.TemporaryFile() as log:
        proc, issuer = None, ""
        # A port found free may be taken before Node binds it (another worker, another
        # process): Node then exits at once, and we try again on another port.
        for _attempt in range(3):
            proc, issuer = _start_provider(node, env, log)
            if proc is not None:
                break
        if proc is None:
            log.seek(0)
            pytest.fail(f"the test provider did not start: {log.read().decode()[-2000:]}")
        try:
            yield TestProvider(issuer)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _start_provider(node: str, env: dict, log) -> tuple[subprocess.Popen | None, str]:
    """Start the provider on a free port; (process, issuer) once its discovery answers, or
    (None, "") if it exited (the port was taken). Fails after 60 s without an answer."""
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [node, "provider.mjs", str(port)],
        cwd=PROVIDER_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60  # a loaded CI machine starts Node slowly
    while True:
        if proc.poll() is not None:
            return None, ""
        try:
            answer = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2)
            if answer.status_code == 200 and answer.json().get("issuer") == issuer:
                return proc, issuer
        except (requests.RequestException, ValueError):
            pass
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            log.seek(0)
            pytest.fail(
                "the test provider did not answer within 60 seconds:\n"
                + log.read().decode()[-2000:]
            )
        time.sleep(0.1)


@pytest.fixture
def oidc(oidc_provider, settings):
    """Sceau configured with the test provider (SCEAU_OIDC_* as the tests need them)."""
    from sceau.identity import oidc as oidc_module

    settings.CONFIG = dataclasses.replace(
        settings.CONFIG,
        oidc_issuer=oidc_provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_scopes=SCOPES,
        oidc_acr_values="eidas1",
        oidc_label="FranceConnect",
        public_url=PUBLIC_URL,
    )
    oidc_module.clear_caches()
    yield oidc_provider
    oidc_module.clear_caches()
