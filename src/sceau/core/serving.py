"""What the web server writes in its access log: never a secret carried by a URL.

Two kinds of URL carry secrets: the e-mail verification link (a token in the path) and the
OpenID Connect callback (a one-time ``code`` and the ``state`` in the query string). The access
log keeps the method, the path with such segments masked, the status and the timing; query
strings and the Referer (which repeats the previous URL) are never written.
"""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

MASK = "[masqué]"
# Path segments that are secrets, after the given prefixes.
SECRET_PATHS = (re.compile(r"^(/creances/compte/verifier/)[^/?]+"),)


def redact_url(url: str) -> str:
    """``url`` (path and query) with secret path segments masked and the query string dropped."""
    path, sep, _query = (url or "").partition("?")
    for pattern in SECRET_PATHS:
        path = pattern.sub(lambda m: m.group(1) + MASK, path)
    return path + (f"?{MASK}" if sep else "")


class RedactingAccessLogger(Logger):
    """gunicorn's logger with the secret-bearing atoms of the access log masked."""

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        method = environ.get("REQUEST_METHOD", "")
        protocol = environ.get("SERVER_PROTOCOL", "")
        atoms["r"] = f"{method} {redact_url(environ.get('RAW_URI', ''))} {protocol}"
        atoms["U"] = redact_url(environ.get("PATH_INFO", ""))
        atoms["q"] = MASK if environ.get("QUERY_STRING") else ""
        atoms["f"] = "-"
        for key in list(atoms):
            # request headers and environ copies: cookies, Authorization, proxy headers
            if key.endswith("}i") or key.endswith("}e"):
                atoms[key] = MASK
        return atoms
