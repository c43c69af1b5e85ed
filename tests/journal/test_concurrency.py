"""Two processes append thousands of entries at once: no gap, no duplicate, the log verifies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCEAU = str(Path(sys.executable).with_name("sceau"))
APPEND = (
    "from sceau.journal.services import Actor, record\n"
    "for i in range({n}):\n"
    "    record(Actor('system', '{who}'), 'test:entry:appended', details={{'i': i}})\n"
)


def test_two_processes_append_without_gap(tmp_path, scratch_database):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        {"SCEAU_DATA_DIR": str(tmp_path), "SCEAU_CACHE_URL": "locmem://", **scratch_database}
    )
    subprocess.run([SCEAU, "migrate"], env=env, check=True, capture_output=True)
    n = 1500
    procs = [
        subprocess.Popen(
            [SCEAU, "shell", "--no-imports", "-c", APPEND.format(n=n, who=who)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("a", "b")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    check = (
        "from sceau.journal.models import JournalEntry as J\n"
        "idx = list(J.objects.order_by('index').values_list('index', flat=True))\n"
        "print(len(idx), idx == list(range(len(idx))))\n"
    )
    out = subprocess.run(
        [SCEAU, "shell", "--no-imports", "-c", check],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [str(2 * n), "True"]
    done = subprocess.run([SCEAU, "journal", "verify"], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and "conforme" in done.stdout, done.stderr
