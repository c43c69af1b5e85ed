"""The RFC 3161 client side shared by every authority, and pyHanko's adapter."""

from __future__ import annotations

import asyncio

from asn1crypto import core, tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from pyhanko.sign.timestamps import TimeStamper as _PyHankoBase

from sceau.notary.timestamps.model import Timestamp, _TimeStampResp
from sceau.notary.timestamps.verify import (
    _build_request,
    _hash,
    _load_token,
    _malformed_is_refused,
    _new_nonce,
    _refused,
    _verify,
)


class _RfcClient:
    """The client side shared by both authorities: request, exchange, verification."""

    qualified: bool
    label: str
    roots: list[x509.Certificate]
    untrusted: list[x509.Certificate]
    policy: str | None

    def _exchange(self, query: bytes) -> bytes:
        """Send a DER TimeStampReq, return the DER TimeStampResp (transport only)."""
        raise NotImplementedError

    def stamp(self, data: bytes) -> Timestamp:
        """Timestamp the SHA-256 of ``data`` and verify the answer before returning it."""
        request = _build_request(_hash("sha256", data), "sha256", _new_nonce(), self.policy)
        return self._check_response(self._exchange(request.dump()), request)

    def certificates_pem(self) -> str:
        """PEM of the certificates a verifier needs: TSA certificate(s), then the roots."""
        return "".join(
            c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in self._chain()
        )

    def pyhanko_timestamper(self) -> PyHankoTimeStamper:
        """A pyHanko ``TimeStamper`` whose every answer goes through the same verification."""
        return PyHankoTimeStamper(self)

    def _chain(self) -> list[x509.Certificate]:
        seen: dict[bytes, x509.Certificate] = {}
        for cert in [*self.untrusted, *self.roots]:
            seen.setdefault(cert.fingerprint(hashes.SHA256()), cert)
        return list(seen.values())

    def _remember(self, timestamp: Timestamp) -> None:
        """Hook called with every verified timestamp."""

    def _check_response(self, reply: bytes, request: tsp.TimeStampReq) -> Timestamp:
        """Parse and verify a DER TimeStampResp against ``request``."""
        with _malformed_is_refused():
            return self._check_response_unguarded(reply, request)

    def _check_response_unguarded(self, reply: bytes, request: tsp.TimeStampReq) -> Timestamp:
        try:
            response = _TimeStampResp.load(reply, strict=True)
            status = response["status"]["status"].native
        except (ValueError, TypeError, KeyError) as exc:
            raise _refused(f"answer is not a DER TimeStampResp: {exc}") from exc
        if status not in ("granted", "granted_with_mods"):
            texts = "; ".join(response["status"]["status_string"].native or [])
            fails = ", ".join(sorted(response["status"]["fail_info"].native or []))
            raise _refused(
                f"status {status} (failInfo: {fails or '-'}; text: {texts or '-'})",
                message=(
                    "L'autorité d'horodatage a refusé la demande. Vérifiez sa configuration "
                    "(politique, compte, certificat client) ; si le problème persiste, "
                    "contactez l'autorité."
                ),
            )
        token = response["time_stamp_token"]
        if isinstance(token, core.Void):
            raise _refused("status granted but no token in the answer")
        token_der = token.dump()
        content_info = _load_token(token_der)
        imprint = request["message_imprint"]
        policy = request["req_policy"].dotted if request["req_policy"].native else None
        timestamp = _verify(
            token_der,
            content_info,
            hash_algorithm=imprint["hash_algorithm"]["algorithm"].native,
            imprint=imprint["hashed_message"].native,
            roots=self.roots,
            nonce=request["nonce"].native,
            untrusted=self.untrusted,
            qualified=self.qualified,
            policy=policy,
        )
        self._remember(timestamp)
        return timestamp


class PyHankoTimeStamper(_PyHankoBase):
    """Adapter giving pyHanko's signer (``timestamper=``) a Sceau authority.

    pyHanko builds the request (its own nonce, the digest of the signature value); this adapter
    sends it through the authority and verifies the answer exactly like ``stamp`` before handing
    it back, so a bad answer raises :class:`TimestampRefused` out of ``sign_pdf``.
    """

    def __init__(self, client: _RfcClient) -> None:
        super().__init__(include_nonce=True)
        self.client = client

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        """Send ``req`` to the authority (in a worker thread) and verify the answer."""
        reply = await asyncio.to_thread(self.client._exchange, req.dump())
        self.client._check_response(reply, req)
        return tsp.TimeStampResp.load(reply)


# -- the built-in authority -------------------------------------------------------------------
