"""An external RFC 3161 authority over HTTP(S) (a qualified one in production)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

import requests
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from sceau.notary.errors import AuthorityUnavailable
from sceau.notary.timestamps.client import _RfcClient
from sceau.notary.timestamps.model import (
    _MAX_REPLY_BYTES,
    _TIMESTAMP_CONTENT_TYPES,
    Timestamp,
    _TimeStampResp,
)
from sceau.notary.timestamps.verify import _embedded_certs, _refused


class HttpTimeStamper(_RfcClient):
    """RFC 3161 over HTTP(S) (POST ``application/timestamp-query``).

    ``roots`` are the trust anchors for the authority's certificate; ``untrusted`` may add its
    intermediates (or its certificate) when its tokens do not embed them. Authentication, as
    qualified authorities ask for it: HTTP basic (``username``/``password``) and/or a TLS client
    certificate (``client_cert=(cert_path, key_path)``); ``ca_bundle`` overrides the CA file
    used to check the server's TLS certificate. ``policy`` requests (and then requires) a TSA
    policy OID. A call tries ``1 + retries`` times on network errors, time-outs, HTTP 429 and
    5xx, sleeping ``backoff * attempt`` seconds between tries, then raises
    :class:`AuthorityUnavailable`; any other HTTP status raises :class:`TimestampRefused`.
    """

    def __init__(
        self,
        url: str,
        roots: list[x509.Certificate],
        *,
        username: str | None = None,
        password: str | None = None,
        client_cert: tuple[str, str] | None = None,
        timeout: float = 10.0,
        qualified: bool = False,
        label: str | None = None,
        policy: str | None = None,
        untrusted: Sequence[x509.Certificate] = (),
        retries: int = 2,
        backoff: float = 0.5,
        ca_bundle: str | None = None,
    ) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"timestamp URL must be http(s): {url!r}")
        self.url = url
        self.roots = list(roots)
        self.untrusted = list(untrusted)
        self.username = username
        self.password = password
        self.client_cert = client_cert
        self.timeout = timeout
        self.qualified = qualified
        self.policy = policy
        self.retries = max(0, retries)
        self.backoff = backoff
        self.ca_bundle = ca_bundle
        kind = "qualifiée" if qualified else "non qualifiée"
        self.label = label or f"Autorité d'horodatage {urlsplit(url).hostname} — {kind}"
        self._seen: dict[bytes, x509.Certificate] = {}

    def _exchange(self, query: bytes) -> bytes:
        auth = (self.username, self.password or "") if self.username is not None else None
        headers = {
            "Content-Type": "application/timestamp-query",
            "Accept": "application/timestamp-reply",
        }
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * attempt)
            try:
                with requests.post(
                    self.url,
                    data=query,
                    headers=headers,
                    auth=auth,
                    cert=self.client_cert,
                    timeout=self.timeout,
                    verify=self.ca_bundle or True,
                    allow_redirects=False,
                    stream=True,
                ) as reply:
                    if reply.status_code == 429 or reply.status_code >= 500:
                        problem = f"HTTP {reply.status_code}"
                        continue
                    if reply.status_code != 200:
                        raise _refused(
                            f"HTTP {reply.status_code} from {self.url}",
                            message=(
                                "L'autorité d'horodatage a refusé la demande "
                                f"(HTTP {reply.status_code}). Vérifiez son adresse et les "
                                "identifiants ou le certificat client configurés."
                            ),
                        )
                    body = _read_limited(reply)
                    content_type = reply.headers.get("Content-Type", "")
            except requests.RequestException as exc:
                problem = f"{type(exc).__name__}: {exc}"
                continue
            if not content_type.lower().startswith(_TIMESTAMP_CONTENT_TYPES):
                # Tolerated when the body parses (some servers mislabel it); refused otherwise.
                with contextlib.suppress(ValueError, TypeError):
                    _TimeStampResp.load(body, strict=True)["status"].native  # noqa: B018
                    return body
                raise _refused(f"unexpected Content-Type {content_type!r} from {self.url}")
            return body
        raise AuthorityUnavailable(
            detail=f"{self.url}: {problem} after {self.retries + 1} attempt(s)"
        )

    def _remember(self, timestamp: Timestamp) -> None:
        content_info = cms.ContentInfo.load(timestamp.token)
        for cert in _embedded_certs(content_info["content"]):
            parsed = x509.load_der_x509_certificate(cert.dump())
            self._seen.setdefault(parsed.fingerprint(hashes.SHA256()), parsed)

    def _chain(self) -> list[x509.Certificate]:
        root_prints = {r.fingerprint(hashes.SHA256()) for r in self.roots}
        learned = [c for p, c in self._seen.items() if p not in root_prints]
        seen: dict[bytes, x509.Certificate] = {}
        for cert in [*learned, *self.untrusted, *self.roots]:
            seen.setdefault(cert.fingerprint(hashes.SHA256()), cert)
        return list(seen.values())

    def certificates_pem(self) -> str:
        """PEM of the TSA certificates seen so far (and ``untrusted``), then the roots.

        Before the first successful ``stamp`` only ``untrusted`` and the roots are known.
        """
        return super().certificates_pem()


def _read_limited(reply: requests.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in reply.iter_content(64 * 1024):
        size += len(chunk)
        if size > _MAX_REPLY_BYTES:
            raise _refused(f"answer larger than {_MAX_REPLY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
