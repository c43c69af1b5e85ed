"""Trust of the TLS proxy (nginx) in front of `sceau serve`.

nginx terminates TLS, verifies officers' client certificates and tells Sceau what it saw in
request headers: ``X-SSL-Client-Verify`` and ``X-SSL-Client-Cert`` (the certificate),
``X-Real-IP`` (the client's address), ``X-Forwarded-Proto`` (https). Those headers are believed
only when the TCP peer (``REMOTE_ADDR``) is one of ``SCEAU_TRUSTED_PROXIES``; from anyone else
:class:`ProxyHeadersMiddleware` removes them before any other code runs, so that neither a view
nor Django's ``SECURE_PROXY_SSL_HEADER``/``SECURE_SSL_REDIRECT`` can be fooled by a client that
reaches gunicorn directly. A client-certificate header from an untrusted address is journaled
(at most once a minute per address, so that a flood cannot fill the journal).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from sceau.identity.events import IdentityEvent

# request.META names (WSGI) of what the proxy sets. Prefixes cover every variant a client
# could try (X-SSL-Client-Serial, X-Forwarded-Host, ...); none of them is ever believed from
# an untrusted peer.
CLIENT_VERIFY = "HTTP_X_SSL_CLIENT_VERIFY"
CLIENT_CERT = "HTTP_X_SSL_CLIENT_CERT"
REAL_IP = "HTTP_X_REAL_IP"
PROXY_HEADER_PREFIXES = ("HTTP_X_SSL_", "HTTP_X_FORWARDED_", "HTTP_X_CLIENT_")
PROXY_HEADERS = frozenset({REAL_IP, "HTTP_FORWARDED", "HTTP_X_FORWARDED_FOR"})
UNTRUSTED_JOURNAL_SECONDS = 60

_TRUSTED_ATTR = "_sceau_trusted_proxy"


def _peer_address(
    request: HttpRequest,
) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:127.0.0.2 is 127.0.0.2
    return address


def is_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the TCP peer of ``request`` is one of ``SCEAU_TRUSTED_PROXIES``."""
    cached = getattr(request, _TRUSTED_ATTR, None)
    if cached is not None:
        return cached
    address = _peer_address(request)
    trusted = address is not None and any(
        address in network for network in settings.CONFIG.trusted_proxies
    )
    setattr(request, _TRUSTED_ATTR, trusted)
    return trusted


def proxy_header(request: HttpRequest, meta_name: str) -> str:
    """The value the trusted proxy gave for ``meta_name`` (e.g. :data:`CLIENT_VERIFY`), or ""
    when the request did not come through a trusted proxy."""
    if not is_trusted_proxy(request):
        return ""
    return request.META.get(meta_name, "") or ""


def client_address(request: HttpRequest) -> str:
    """The client's address: X-Real-IP from a trusted proxy, REMOTE_ADDR otherwise."""
    if is_trusted_proxy(request):
        forwarded = request.META.get(REAL_IP, "").strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass  # a proxy that sent no usable address: fall back to its own
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _proxy_header_names(meta: dict) -> list[str]:
    return sorted(
        name for name in meta if name in PROXY_HEADERS or name.startswith(PROXY_HEADER_PREFIXES)
    )


def _journal_untrusted_certificate(request: HttpRequest, headers: list[str]) -> None:
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    if not cache.add(f"sceau:untrusted-header:{address}", 1, timeout=UNTRUSTED_JOURNAL_SECONDS):
        return  # already journaled for this address within the minute
    from sceau.core.serving import redact_url
    from sceau.journal.services import Actor, record

    record(
        Actor.anonymous(),
        IdentityEvent.CERTIFICATE_UNTRUSTED_HEADER,
        object_kind="request",
        details={
            "ip": address,
            "headers": [h.removeprefix("HTTP_").replace("_", "-") for h in headers],
            "path": redact_url(request.path)[:200],  # never a secret path segment
        },
    )


class ProxyHeadersMiddleware:
    """Remove the proxy's headers from requests that did not come through a trusted proxy.

    Placed first in ``MIDDLEWARE``: even Django's SecurityMiddleware (HTTPS redirect, which
    reads ``X-Forwarded-Proto``) only sees headers that a trusted proxy set.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_trusted_proxy(request):
            names = _proxy_header_names(request.META)
            for name in names:
                del request.META[name]
            if CLIENT_VERIFY in names or CLIENT_CERT in names:
                _journal_untrusted_certificate(request, names)
        return self.get_response(request)
