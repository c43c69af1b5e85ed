"""End-to-end fixtures: a real `sceau serve` (gunicorn, SQLite) and Debian's Chromium.

Nothing here touches the Django test database: the server runs in its own process on its own
temporary data directory, seeded by `sceau demo --json`, and the tests only speak HTTP to it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_SECONDS = 30
SHOTS = Path("/tmp/sceau-shots")


SECRET_KEYS = {"password", "totp_secret", "api_token", "code", "signing_passphrase_test_pki"}


@dataclass(frozen=True)
class SceauInstance:
    base_url: str
    demo: dict
    data_dir: Path
    log_path: Path
    secrets: list[str] = field(default_factory=list)  # issued during the tests: never logged

    def all_secrets(self) -> list[str]:
        """Every secret the demo printed and the tests were given (codes, tokens, passwords)."""
        found = list(self.secrets)

        def walk(value, key=""):
            if isinstance(value, dict):
                for k, v in value.items():
                    walk(v, k)
            elif isinstance(value, list):
                for v in value:
                    walk(v, key)
            elif isinstance(value, str) and key in SECRET_KEYS:
                found.append(value)

        walk(self.demo)
        return [s for s in found if s]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def env(self) -> dict[str, str]:
        """The environment of the server's process: same data directory, same settings."""
        return _child_env(self.data_dir, self.base_url)

    def sceau(self, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
        """Run a `sceau` command (worker, pdf validate…) against this instance's data."""
        return subprocess.run(
            [*_sceau_command(), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _sceau_command() -> list[str]:
    """The venv's `sceau` console script, or the same entry point through this Python."""
    script = Path(sys.executable).with_name("sceau")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "sceau.cli"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _child_env(data_dir: Path, base_url: str) -> dict[str, str]:
    """This process's environment without any Sceau setting or DATABASE_URL: always SQLite."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("SCEAU_") and k != "DATABASE_URL"
    }
    env.update(
        {
            "SCEAU_DATA_DIR": str(data_dir),
            "SCEAU_PUBLIC_URL": base_url,
            "SCEAU_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SETTINGS_MODULE": "sceau.settings",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own server)
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()  # gunicorn's master stops its workers on SIGTERM
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the group we created at start-up
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def sceau_instance() -> Iterator[SceauInstance]:
    root = Path(tempfile.mkdtemp(prefix="sceau-e2e-"))
    data_dir = root / "data"
    data_dir.mkdir(mode=0o700)
    log_path = root / "server.log"
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = _child_env(data_dir, base_url)
    command = _sceau_command()

    seeded = subprocess.run(
        [*command, "demo", "--json"], env=env, capture_output=True, text=True, timeout=120
    )
    if seeded.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(
            f"`sceau demo --json` failed (exit {seeded.returncode}):\n"
            f"{seeded.stdout}\n{seeded.stderr}",
            pytrace=False,
        )
    demo = json.loads(seeded.stdout)

    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    instance = SceauInstance(base_url=base_url, demo=demo, data_dir=data_dir, log_path=log_path)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answers(f"{base_url}/connexion/"):
            if server.poll() is not None:
                pytest.fail(
                    f"`sceau serve` exited with status {server.returncode} before answering.\n"
                    f"Server log:\n{instance.log()}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"`sceau serve` did not answer on {base_url} within {STARTUP_SECONDS} s.\n"
                    f"Server log:\n{instance.log()}",
                    pytrace=False,
                )
            time.sleep(0.2)
        yield instance
        _stop(server)
        # Everything the server wrote (access log, errors, application logs) holds no secret.
        log = instance.log()
        leaked = [s for s in instance.all_secrets() if s in log]
        assert not leaked, f"secrets written to the server log: {leaked}"
    finally:
        _stop(server)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    """Chromium for one test module. Module scope, not session: Playwright's sync API keeps an
    event loop running while it is open, and Django refuses database access from a thread
    with a running loop, so later (non-browser) modules on the same worker need it stopped."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests drive Debian's Chromium. "
            "`make test` installs it (apt-get install chromium); run it, or install the "
            "package yourself, then rerun the tests.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def shots_dir() -> Path:
    """Screenshots of the main pages, for a human to look at (never committed)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
