"""The `sceau` command run as a user would: fresh data directory, real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.helpers import safe_production_env

SCEAU = str(Path(sys.executable).with_name("sceau"))


def run(data_dir: Path, *args: str, env_extra: dict | None = None, timeout: int = 120):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update({"SCEAU_DATA_DIR": str(data_dir), "SCEAU_CACHE_URL": "locmem://"})
    env.update(env_extra or {})
    return subprocess.run(
        [SCEAU, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory, scratch_database):
    data_dir = tmp_path_factory.mktemp("demo")
    done = run(data_dir, "demo", "--json", env_extra=scratch_database)
    assert done.returncode == 0, done.stderr
    return data_dir, json.loads(done.stdout), scratch_database


def test_demo_prints_the_documented_object(demo):
    _, data, _ = demo
    assert set(data["officer"]) >= {"email", "password", "totp_secret", "api_token"}
    assert [len(d["recipients"]) for d in data["dossiers"]] == [2, 1]
    for dossier in data["dossiers"]:
        assert {"id", "reference", "recipients"} <= set(dossier)
        for r in dossier["recipients"]:
            assert {"id", "name", "identifier", "code"} <= set(r)


def test_demo_is_stable_on_a_second_run(demo):
    data_dir, data, db = demo
    again = run(data_dir, "demo", "--json", env_extra=db)
    assert again.returncode == 0 and json.loads(again.stdout) == data


def test_bad_input_gets_an_exit_code_and_a_line_on_stderr(demo):
    data_dir, _, db = demo
    done = run(data_dir, "purge", "--as-of", "demain", env_extra=db)
    assert done.returncode == 2 and "AAAA-MM-JJ" in done.stderr
    # Found (issue #14, finding 9): the last day of the calendar gave a traceback and exit 1.
    done = run(data_dir, "purge", "--as-of", "9999-12-31", env_extra=db)
    assert done.returncode == 2 and "AAAA-MM-JJ" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    done = run(data_dir, "serve", "--port", "0", env_extra=db)
    assert done.returncode == 2 and "--port" in done.stderr
    done = run(data_dir, "check", env_extra={**db, "SCEAU_MAX_UPLOAD_MB": "many"})
    assert done.returncode == 2 and "SCEAU_MAX_UPLOAD_MB" in done.stderr


def test_keys_rotate_rewraps_without_touching_blobs(demo):
    data_dir, _, db = demo
    before = sorted(p.read_bytes() for p in (data_dir / "blobs").rglob("*") if p.is_file())
    listed = run(data_dir, "keys", "list", env_extra=db)
    done = run(data_dir, "keys", "rotate", env_extra=db)
    assert done.returncode == 0 and "courante" in done.stdout, done.stderr
    after = run(data_dir, "keys", "list", env_extra=db)
    assert len(after.stdout.splitlines()) == len(listed.stdout.splitlines()) + 1
    assert "2 clé(s) de données réemballée(s)" in done.stdout  # one document per demo dossier
    check = (
        "from sceau.vault.models import Blob; from sceau.vault.services import verify_blob;"
        "[verify_blob(b) for b in Blob.objects.all()]; print(Blob.objects.values('key_id')"
        ".distinct().count())"
    )
    verified = run(data_dir, "shell", "--no-imports", "-c", check, env_extra=db)
    assert verified.stdout.strip() == "1", verified.stderr  # all under the new key, readable
    assert sorted(p.read_bytes() for p in (data_dir / "blobs").rglob("*") if p.is_file()) == before


def test_purge_rehearsal_then_two_concurrent_purges(demo):
    data_dir, _, db = demo
    rehearsal = run(data_dir, "purge", "--as-of", "2099-01-01", env_extra=db)
    assert rehearsal.returncode == 0 and "rien n'a été détruit" in rehearsal.stdout
    expire = (
        "from django.utils import timezone; from sceau.pieces.models import Document; "
        "print(Document.objects.update(expires_at=timezone.now()))"
    )
    done = run(data_dir, "shell", "--no-imports", "-c", expire, env_extra=db)
    assert done.returncode == 0 and int(done.stdout) == 2, done.stderr
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update({"SCEAU_DATA_DIR": str(data_dir), "SCEAU_CACHE_URL": "locmem://", **db})
    procs = [
        subprocess.Popen(
            [SCEAU, "purge"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    count = (
        "from sceau.journal.models import JournalEntry as J; from sceau.vault.models import Blob;"
        "print(J.objects.filter(action='pieces:document:purged').count(),"
        " Blob.objects.exclude(wrapped_key=None).count())"
    )
    done = run(data_dir, "shell", "--no-imports", "-c", count, env_extra=db)
    assert done.stdout.split() == ["2", "0"], done.stderr
    blobs = [p for p in (data_dir / "blobs").rglob("*") if p.is_file() and ".tmp" not in p.parts]
    assert blobs == []
    verify = run(data_dir, "worker", "--once", env_extra=db)
    assert verify.returncode == 0 and "purge: 0" in verify.stdout


def test_accounts_command(demo):
    data_dir, _, db = demo
    done = run(
        data_dir,
        "accounts",
        "add-office",
        "Étude Trois",
        "1 quai\\n13002 Marseille",
        "--departments",
        "13,04,83,84",
        env_extra=db,
    )
    assert done.returncode == 0, done.stderr
    office_id = done.stdout.split()[1]
    done = run(
        data_dir,
        "accounts",
        "add-officer",
        office_id,
        "trois@etude.test",
        "Maître Trois",
        env_extra=db,
    )
    assert done.returncode == 0 and "secret TOTP" in done.stdout, done.stderr
    token = run(data_dir, "accounts", "issue-token", "trois@etude.test", "logiciel", env_extra=db)
    assert token.returncode == 0 and token.stdout.startswith("sct_")
    listed = run(data_dir, "accounts", "list", env_extra=db).stdout
    assert "trois@etude.test" in listed and "actif" in listed
    token_id = next(ln.split()[1] for ln in listed.splitlines() if "logiciel" in ln)
    assert run(data_dir, "accounts", "revoke-token", token_id, env_extra=db).returncode == 0
    bad = run(data_dir, "accounts", "add-office", "X", "Y", "--departments", "13,abc", env_extra=db)
    assert bad.returncode == 2 and "--departments" in bad.stderr
    missing = run(data_dir, "accounts", "add-officer", "999", "x@y.test", "X", env_extra=db)
    assert missing.returncode == 2 and "999" in missing.stderr


def test_check_deploy_lists_every_unsafe_setting_of_a_development_set_up(tmp_path):
    done = run(tmp_path / "data", "check", "--deploy")
    assert done.returncode == 1
    for named in (
        "SCEAU_HTTPS",
        "DATABASE_URL",
        "SCEAU_CACHE_URL",
        "SCEAU_EMAIL",
        "SCEAU_TSA_URL",
        "SCEAU_OFFICER_PASSWORD_LOGIN",
        "SCEAU_TRUSTED_PROXIES",
    ):
        assert named in done.stderr, named


def test_check_deploy_passes_a_safe_production_set_up(tmp_path):
    done = run(tmp_path / "data", "check", "--deploy", env_extra=safe_production_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "sceau.E" not in done.stdout + done.stderr


@pytest.mark.parametrize(
    "change",
    [
        {"SCEAU_OFFICER_PASSWORD_LOGIN": "true"},
        {"SCEAU_CACHE_URL": "locmem://", "SCEAU_DEBUG": "true"},
    ],
)
def test_production_refuses_to_start_while_a_setting_is_unsafe(tmp_path, change):
    env = {**safe_production_env(tmp_path), **change}
    for command in (["serve"], ["migrate"], ["check", "--deploy"]):
        done = run(tmp_path / "data", *command, env_extra=env)
        assert done.returncode == 2, command
        assert "refuses to start" in done.stderr
        for name in change:
            assert name in done.stderr


def test_reset_totp_gives_a_new_key_once_and_refuses_an_unknown_account(demo):
    data_dir, data, db = demo
    email = data["creditor"]["email"]
    done = run(data_dir, "accounts", "reset-totp", email, env_extra=db)
    assert done.returncode == 0, done.stderr
    new = done.stdout.strip().rsplit(" ", 1)[-1]
    assert len(new) == 32 and new != data["creditor"]["totp_secret"]
    journal = run(
        data_dir,
        "shell",
        "-c",
        "from sceau.journal.models import JournalEntry as E; "
        "print(E.objects.filter(action='identity:creditor:totp_reset').count())",
        env_extra=db,
    )
    assert journal.stdout.strip().splitlines()[-1] == "1"
    unknown = run(data_dir, "accounts", "reset-totp", "nobody@nowhere.test", env_extra=db)
    assert unknown.returncode == 2 and "nobody@nowhere.test" in unknown.stderr
