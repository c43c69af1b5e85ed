"""The relying party for one provider: discovery, keys, the authorization code flow."""

from __future__ import annotations

import base64
import secrets
import time
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import jwt
import requests

from sceau.identity.oidc.common import (
    ASYMMETRIC_ALGORITHMS,
    DISCOVERY_TTL,
    HTTP_TIMEOUT,
    JWKS_MIN_REFRESH,
    JWKS_TTL,
    AuthorizationRequest,
    Metadata,
    OidcDenied,
    OidcError,
    OidcTokenInvalid,
    OidcUnavailable,
    ProviderSettings,
    VerifiedIdentity,
    _cache_lock,
    _get,
    _json_of,
    _jwks_cache,
    _key_type_of,
    _metadata_cache,
    code_challenge,
)
from sceau.identity.oidc.tokens import IdTokenChecks


class OidcClient(IdTokenChecks):
    """The relying party for one provider."""

    def __init__(self, provider: ProviderSettings) -> None:
        self.provider = provider

    # discovery and keys

    def metadata(self) -> Metadata:
        """The discovery document, fetched once an hour at most; its issuer must be ours."""
        issuer = self.provider.issuer
        now = time.monotonic()
        with _cache_lock:
            cached = _metadata_cache.get(issuer)
        if cached and now - cached[0] < DISCOVERY_TTL:
            return cached[1]
        response = _get(
            f"{issuer}/.well-known/openid-configuration",
            "discovery",
            headers={"Accept": "application/json"},
        )
        meta = self._parse_metadata(_json_of(response, "discovery"))
        with _cache_lock:
            _metadata_cache[issuer] = (now, meta)
        return meta

    def _parse_metadata(self, doc: dict[str, Any]) -> Metadata:
        issuer = self.provider.issuer
        if str(doc.get("issuer", "")).rstrip("/") != issuer:
            raise OidcUnavailable("discovery_issuer_mismatch")
        endpoints = {}
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"):
            value = doc.get(name)
            if not isinstance(value, str) or not value.startswith(("http://", "https://")):
                raise OidcUnavailable(f"discovery_missing_{name}")
            endpoints[name] = value
        end_session = doc.get("end_session_endpoint") or ""
        if not isinstance(end_session, str):
            end_session = ""
        if issuer.startswith("https://"):
            for value in (*endpoints.values(), end_session):
                if value and not value.startswith("https://"):
                    raise OidcUnavailable("discovery_endpoint_not_https")
        announced = doc.get("id_token_signing_alg_values_supported") or []
        algorithms = tuple(a for a in ASYMMETRIC_ALGORITHMS if a in announced)
        if not algorithms:
            raise OidcUnavailable("discovery_no_asymmetric_algorithm")
        methods = doc.get("code_challenge_methods_supported")
        if methods is not None and "S256" not in methods:
            raise OidcUnavailable("discovery_no_pkce_s256")
        # RFC 8414: client_secret_basic when the provider says nothing.
        auth_methods = doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        if "client_secret_basic" in auth_methods:
            auth = "client_secret_basic"
        elif "client_secret_post" in auth_methods:
            auth = "client_secret_post"
        else:
            raise OidcUnavailable("discovery_no_client_secret_method")
        acr = doc.get("acr_values_supported") or []
        wanted = self.provider.acr_values.split()
        if wanted and not set(wanted) & set(acr):
            # We never silently drop the level asked for: the operator must change it
            # (or set SCEAU_OIDC_ACR_VALUES=none for a provider without acr).
            raise OidcUnavailable("discovery_acr_not_supported")
        return Metadata(
            issuer=issuer,
            authorization_endpoint=endpoints["authorization_endpoint"],
            token_endpoint=endpoints["token_endpoint"],
            userinfo_endpoint=endpoints["userinfo_endpoint"],
            jwks_uri=endpoints["jwks_uri"],
            end_session_endpoint=end_session,
            algorithms=algorithms,
            token_auth_method=auth,
            acr_values_supported=tuple(acr),
            iss_parameter_supported=bool(doc.get("authorization_response_iss_parameter_supported")),
        )

    def jwks(self, *, refresh: bool = False) -> tuple[dict[str, Any], ...]:
        """The provider's signature keys as JWK objects (cached; ``refresh`` refetches, at most
        every 30 s, for a key rotated since)."""
        uri = self.metadata().jwks_uri
        now = time.monotonic()
        with _cache_lock:
            cached = _jwks_cache.get(uri)
        if cached:
            age = now - cached[0]
            if age < JWKS_TTL and not (refresh and age >= JWKS_MIN_REFRESH):
                return cached[1]
        response = _get(uri, "jwks", headers={"Accept": "application/json"})
        keys = _json_of(response, "jwks").get("keys")
        if not isinstance(keys, list):
            raise OidcUnavailable("jwks_unusable")
        # Signature keys only (a provider may publish encryption keys too), public parts only.
        usable = tuple(
            k for k in keys if isinstance(k, dict) and k.get("use", "sig") == "sig" and "d" not in k
        )
        with _cache_lock:
            _jwks_cache[uri] = (now, usable)
        return usable

    def _key_for(self, header: dict[str, Any], alg: str) -> Any:
        """The public key that may have signed a JWS with this header (kid, alg)."""
        kid = header.get("kid")
        for attempt in range(2):
            candidates = [
                k
                for k in self.jwks(refresh=attempt == 1)
                if (kid is None or k.get("kid") == kid)
                and k.get("alg") in (None, alg)
                and k.get("kty") == _key_type_of(alg)
            ]
            if kid is None and len(candidates) > 1:
                raise OidcTokenInvalid("ambiguous_key")
            if candidates:
                try:
                    return jwt.PyJWK(candidates[0], algorithm=alg).key
                except jwt.PyJWTError:
                    raise OidcTokenInvalid("unusable_key") from None
        raise OidcTokenInvalid("unknown_key")

    # the authorization request

    def begin(self, redirect_uri: str) -> AuthorizationRequest:
        """A fresh authorization request (state, nonce, PKCE verifier of 256 bits each)."""
        meta = self.metadata()
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(48)  # 64 characters, within RFC 7636's 43..128
        params = {
            "response_type": "code",
            "client_id": self.provider.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(self.provider.scopes),
            "state": state,
            "nonce": nonce,
            "code_challenge": code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        if self.provider.acr_values:
            params["acr_values"] = self.provider.acr_values
        separator = "&" if urlsplit(meta.authorization_endpoint).query else "?"
        url = f"{meta.authorization_endpoint}{separator}{urlencode(params)}"
        return AuthorizationRequest(url=url, state=state, nonce=nonce, code_verifier=verifier)

    # the answer

    def finish(
        self, params: dict[str, str], *, nonce: str, code_verifier: str, redirect_uri: str
    ) -> VerifiedIdentity:
        """Everything after the state was matched: provider's error, ``iss`` parameter (RFC
        9207), code exchange, ID token, userinfo."""
        meta = self.metadata()
        if params.get("error"):
            raise OidcDenied(f"provider_error:{params['error'][:40]}")
        iss = params.get("iss")
        if iss is not None and iss.rstrip("/") != self.provider.issuer:
            raise OidcTokenInvalid("response_issuer_mismatch")
        if iss is None and meta.iss_parameter_supported:
            raise OidcTokenInvalid("response_issuer_missing")
        code = params.get("code", "")
        if not code:
            raise OidcDenied("no_code")
        tokens = self.exchange_code(code, code_verifier=code_verifier, redirect_uri=redirect_uri)
        claims = self.validate_id_token(
            tokens["id_token"], nonce=nonce, access_token=tokens["access_token"]
        )
        info = self.userinfo(tokens["access_token"], subject=claims["sub"])

        def text(name: str) -> str:
            value = info.get(name, claims.get(name, ""))
            return value.strip()[:200] if isinstance(value, str) else ""

        return VerifiedIdentity(
            issuer=self.provider.issuer,
            subject=claims["sub"],
            given_name=text("given_name"),
            family_name=text("family_name"),
            birthdate=text("birthdate"),
            email=text("email"),
            acr=str(claims.get("acr", "")),
            id_token=tokens["id_token"],
        )

    def exchange_code(self, code: str, *, code_verifier: str, redirect_uri: str) -> dict[str, str]:
        """The token request (client_secret_basic or _post, as discovered) with the verifier."""
        meta = self.metadata()
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        headers = {"Accept": "application/json"}
        if meta.token_auth_method == "client_secret_basic":  # noqa: S105 (a method name)
            # RFC 6749 2.3.1: both parts form-urlencoded before base64.
            pair = f"{quote(self.provider.client_id, safe='')}:" + quote(
                self.provider.client_secret, safe=""
            )
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:
            data["client_id"] = self.provider.client_id
            data["client_secret"] = self.provider.client_secret
        try:
            response = requests.post(
                meta.token_endpoint,
                data=data,
                headers=headers,
                timeout=HTTP_TIMEOUT,
                allow_redirects=False,
                stream=True,
            )
        except requests.RequestException:
            raise OidcUnavailable("token_unreachable") from None
        if response.status_code in (400, 401):
            # invalid_grant (used, expired or PKCE mismatch), invalid_client...
            body = _json_of(response, "token")
            error = str(body.get("error", "unknown"))[:40]
            raise OidcDenied(f"token_refused:{error}")
        if response.status_code != 200:
            response.close()
            raise OidcUnavailable(f"token_status_{response.status_code}")
        body = _json_of(response, "token")
        if str(body.get("token_type", "")).lower() != "bearer":
            raise OidcUnavailable("token_type_not_bearer")
        id_token, access_token = body.get("id_token"), body.get("access_token")
        if not isinstance(id_token, str) or not isinstance(access_token, str):
            raise OidcUnavailable("token_response_incomplete")
        return {"id_token": id_token, "access_token": access_token}

    def logout_url(self, id_token: str, post_logout_redirect_uri: str, state: str) -> str | None:
        """RP-initiated logout at the provider (FranceConnect requires id_token_hint)."""
        try:
            endpoint = self.metadata().end_session_endpoint
        except OidcError:
            return None
        if not endpoint:
            return None
        params = {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": post_logout_redirect_uri,
            "state": state,
        }
        separator = "&" if urlsplit(endpoint).query else "?"
        return f"{endpoint}{separator}{urlencode(params)}"
