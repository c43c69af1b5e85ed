"""RFC 3161 timestamps that a judge or an auditor can check with stock tools (no Django).

Two authorities share one client side (request, then full verification of the answer): the
built-in TEST authority (``builtin``), never qualified, and an external one over HTTP(S)
(``http``). Every answer is verified (``verify``) before it is returned; :func:`verify_token`
performs the same checks on a stored token, offline. Qualification is never derived from a
token: it is what the configuration declares."""

from __future__ import annotations

from sceau.notary.timestamps.builtin import (
    BuiltinTimeStamper,
)
from sceau.notary.timestamps.client import (
    PyHankoTimeStamper,
)
from sceau.notary.timestamps.http import (
    HttpTimeStamper,
)
from sceau.notary.timestamps.model import (
    BUILTIN_LABEL,
    TEST_POLICY_OID,
    Timestamp,
    TimeStamper,
)
from sceau.notary.timestamps.verify import (
    verify_token,
)

__all__ = [
    "BUILTIN_LABEL",
    "TEST_POLICY_OID",
    "BuiltinTimeStamper",
    "HttpTimeStamper",
    "PyHankoTimeStamper",
    "TimeStamper",
    "Timestamp",
    "verify_token",
]
