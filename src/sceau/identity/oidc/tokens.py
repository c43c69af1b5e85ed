"""Checks of what the provider returns: the ID token and userinfo (signed or JSON)."""

from __future__ import annotations

import hmac
import time
from typing import Any

import jwt

from sceau.identity.oidc.common import (
    CLOCK_SKEW,
    ID_TOKEN_MAX_AGE,
    OidcTokenInvalid,
    _at_hash,
    _get,
    _json_of,
    _read,
)


class IdTokenChecks:
    """ID token and userinfo checks of :class:`OidcClient` (needs ``provider``, ``metadata()``
    and ``_key_for()``)."""

    def validate_id_token(
        self,
        id_token: str,
        *,
        nonce: str,
        access_token: str | None = None,
        now: float | None = None,
    ) -> dict[str, Any]:
        """Check signature and claims of an ID token (OpenID Connect Core 3.1.3.7); its claims.

        ``now`` (seconds since the epoch) is the time the token is judged at (the clock, by
        default).
        """
        header, alg = self._signed_header(id_token, "")
        key = self._key_for(header, alg)
        now = time.time() if now is None else now
        try:
            claims = jwt.decode(
                id_token,
                key=key,
                algorithms=[alg],
                audience=self.provider.client_id,
                issuer=self.provider.issuer,
                # exp and iat are judged below, against ``now``, with our own tolerance
                options={
                    "require": ["iss", "sub", "aud", "exp", "iat"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.InvalidSignatureError:
            raise OidcTokenInvalid("bad_signature") from None
        except jwt.InvalidAudienceError:
            raise OidcTokenInvalid("wrong_audience") from None
        except jwt.InvalidIssuerError:
            raise OidcTokenInvalid("wrong_issuer") from None
        except jwt.MissingRequiredClaimError:
            raise OidcTokenInvalid("missing_claim") from None
        except jwt.PyJWTError:
            raise OidcTokenInvalid("malformed") from None
        aud = claims["aud"]
        audiences = aud if isinstance(aud, list) else [aud]
        azp = claims.get("azp")
        if azp is not None and azp != self.provider.client_id:
            raise OidcTokenInvalid("wrong_authorized_party")
        if len(audiences) > 1 and azp is None:
            raise OidcTokenInvalid("authorized_party_missing")
        exp, iat = claims["exp"], claims["iat"]
        if not isinstance(exp, int | float) or not isinstance(iat, int | float):
            raise OidcTokenInvalid("malformed")
        if exp <= now - CLOCK_SKEW:
            raise OidcTokenInvalid("expired")
        if iat > now + CLOCK_SKEW:
            raise OidcTokenInvalid("issued_in_future")
        if iat < now - ID_TOKEN_MAX_AGE - CLOCK_SKEW:
            raise OidcTokenInvalid("issued_too_long_ago")
        nbf = claims.get("nbf")
        if isinstance(nbf, int | float) and nbf > now + CLOCK_SKEW:
            raise OidcTokenInvalid("not_yet_valid")
        token_nonce = claims.get("nonce")
        if not isinstance(token_nonce, str) or not hmac.compare_digest(
            token_nonce.encode(), nonce.encode()
        ):
            raise OidcTokenInvalid("nonce_mismatch")
        sub = claims["sub"]
        if not isinstance(sub, str) or not sub or len(sub) > 255:
            raise OidcTokenInvalid("bad_subject")
        if access_token is not None and "at_hash" in claims:
            if not hmac.compare_digest(str(claims["at_hash"]), _at_hash(access_token, alg)):
                raise OidcTokenInvalid("at_hash_mismatch")
        wanted = self.provider.acr_values.split()
        if wanted and claims.get("acr") not in wanted:
            raise OidcTokenInvalid("acr_not_satisfied")
        return claims

    def userinfo(self, access_token: str, *, subject: str) -> dict[str, Any]:
        """The userinfo claims (JSON or signed JWT); their ``sub`` must be ``subject``."""
        meta = self.metadata()
        response = _get(
            meta.userinfo_endpoint,
            "userinfo",
            headers={
                "Authorization": f"Bearer {access_token}",
                "Accept": "application/json, application/jwt",
            },
        )
        media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if media == "application/jwt":
            signed = _read(response).decode("ascii", "replace").strip()
            info = self._verify_signed_userinfo(signed)
        else:
            info = _json_of(response, "userinfo")
        if info.get("sub") != subject:
            raise OidcTokenInvalid("userinfo_subject_mismatch")
        return info

    def _signed_header(self, signed: str, reason_prefix: str) -> tuple[dict[str, Any], str]:
        """The JWS header and its algorithm, which must be one the provider announced."""
        try:
            header = jwt.get_unverified_header(signed)
        except jwt.PyJWTError:
            raise OidcTokenInvalid(f"{reason_prefix}malformed") from None
        alg = header.get("alg")
        if alg not in self.metadata().algorithms:
            raise OidcTokenInvalid(f"{reason_prefix}algorithm_not_allowed")
        return header, alg

    def _verify_signed_userinfo(self, signed: str) -> dict[str, Any]:
        header, alg = self._signed_header(signed, "userinfo_")
        try:
            info = jwt.decode(
                signed,
                key=self._key_for(header, alg),
                algorithms=[alg],
                issuer=self.provider.issuer,
                options={"verify_aud": False, "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError:
            raise OidcTokenInvalid("userinfo_bad_signature") from None
        aud = info.get("aud", self.provider.client_id)
        if self.provider.client_id not in (aud if isinstance(aud, list) else [aud]):
            raise OidcTokenInvalid("userinfo_wrong_audience")
        return info

    # logout
