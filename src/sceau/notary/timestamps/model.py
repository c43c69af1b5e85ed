"""What a timestamp is: the token, its authority, and the TimeStamper interface."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from asn1crypto import cms, core, tsp
from cryptography.hazmat.primitives import hashes

if TYPE_CHECKING:
    from sceau.notary.timestamps.client import PyHankoTimeStamper

TEST_POLICY_OID = "1.3.6.1.4.1.99999.1.1"
"""Policy of the built-in authority: a private arc, meaning "TEST, no commitment whatsoever"."""

BUILTIN_LABEL = "Autorité d'horodatage intégrée — non qualifiée"

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
"""Imprint algorithms accepted in tokens (``stamp`` always uses SHA-256)."""

_MAX_REPLY_BYTES = 1 << 20
_TIMESTAMP_CONTENT_TYPES = ("application/timestamp-reply", "application/timestamp-response")


class _TimeStampResp(core.Sequence):
    """RFC 3161 TimeStampResp; asn1crypto's ``tsp.TimeStampResp`` wrongly requires the token,
    so it cannot read (or write) a rejection."""

    _fields = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


@dataclass(frozen=True)
class Timestamp:
    """A verified RFC 3161 timestamp.

    ``token`` is the DER ``ContentInfo`` (the TimeStampToken, ``openssl ts -token_in``);
    ``gen_time`` its genTime (aware, UTC); ``serial`` its serial number; ``tsa_name`` the common
    name of the signing certificate; ``policy`` the TSA policy OID; ``qualified`` what the
    configuration declares about the authority; ``message_imprint`` the hash of the data
    (SHA-256 for everything :meth:`TimeStamper.stamp` produces).
    """

    token: bytes = field(repr=False)
    gen_time: datetime
    serial: int
    tsa_name: str
    policy: str
    qualified: bool
    message_imprint: bytes


@runtime_checkable
class TimeStamper(Protocol):
    """What the rest of Sceau needs from an authority (built-in or external)."""

    qualified: bool
    label: str

    def stamp(self, data: bytes) -> Timestamp:
        """Timestamp the SHA-256 of ``data``; the answer is verified before it is returned.

        Raises :class:`TimestampRefused` when the answer does not check out and
        :class:`AuthorityUnavailable` when the authority cannot be reached (retry later).
        """
        ...

    def certificates_pem(self) -> str:
        """PEM of the certificates a verifier needs: TSA certificate(s), then the roots."""
        ...

    def pyhanko_timestamper(self) -> PyHankoTimeStamper:
        """An object to pass as ``timestamper=`` to pyHanko's ``PdfSigner``."""
        ...


# -- verification -----------------------------------------------------------------------------
