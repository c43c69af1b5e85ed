"""Pytest plugin loaded with ``-p sceau.testing.pytest_env`` before Django is set up.

It gives the whole run (controller and xdist workers, which inherit the environment) one
private data directory, so tests never touch a developer's ./var.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

if "SCEAU_DATA_DIR" not in os.environ:
    _dir = tempfile.mkdtemp(prefix="sceau-test-")
    os.environ["SCEAU_DATA_DIR"] = _dir
    os.environ["SCEAU_TEST_DATA_ROOT"] = _dir
    atexit.register(shutil.rmtree, _dir, True)

# Each xdist worker works in its own sub-directory (blob store, keyring, PKI), as it has its own
# database: a test that lists the blob store must not see another worker's files.
_worker_name = os.environ.get("PYTEST_XDIST_WORKER", "")
_root = os.environ.get("SCEAU_TEST_DATA_ROOT", "")
if _worker_name and _root and os.environ.get("SCEAU_DATA_DIR") == _root:
    os.environ["SCEAU_DATA_DIR"] = os.path.join(_root, _worker_name)
os.environ.setdefault("SCEAU_PUBLIC_URL", "http://testserver")
os.environ.setdefault("SCEAU_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

# Each xdist worker gets its own Redis database, since tests clear the cache (FLUSHDB).
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
_cache = os.environ.get("SCEAU_CACHE_URL", "")
if _worker.startswith("gw") and _cache.startswith("redis"):
    _base, _, _db = _cache.rpartition("/")
    if _db.isdigit():
        os.environ["SCEAU_CACHE_URL"] = f"{_base}/{int(_db) + int(_worker[2:])}"
