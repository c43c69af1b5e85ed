"""Where a holder of printed credentials signs in: one address, printed on acts and letters.

Django-free: the letters' pure renderers use it too.
"""

from __future__ import annotations

ACCESS_PATH = "/acces/"


def access_url(public_url: str) -> str:
    """The address printed for a recipient or a debtor: the public URL followed by /acces/."""
    return public_url.rstrip("/") + ACCESS_PATH
