"""OpenID Connect relying party for the parties (FranceConnect-compatible), Django-free.

Authorization code flow with PKCE (S256), ``state`` and ``nonce``; the provider's metadata comes
from its discovery document (its ``issuer`` must be the configured one); the ID token is checked
against the provider's JWKS (only the asymmetric algorithms the provider announces: never
``none``, never HS*) and its claims (iss, aud, azp, exp, iat, nonce, at_hash, acr); userinfo is
fetched with the access token (JSON, or a signed JWT as FranceConnect v2 sends it) and its
``sub`` must be the ID token's.

Everything here raises an ``OidcError`` (a ``SceauError``: French message, HTTP status) whose
``reason`` is an English slug fit for the journal; no error, log line or reason ever carries a
token, code or secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import jwt
import requests

from sceau.core.errors import SceauError

# Asymmetric JWS algorithms accepted for ID tokens (and signed userinfo), if the provider
# announces them. HS* (a key shared with the client) and "none" are never accepted.
ASYMMETRIC_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
HTTP_TIMEOUT = 10.0  # seconds, for every request to the provider
MAX_RESPONSE_BYTES = 1_000_000
DISCOVERY_TTL = 3600.0  # seconds a discovery document is reused
JWKS_TTL = 3600.0
JWKS_MIN_REFRESH = 30.0  # an unknown kid refetches the JWKS at most this often
CLOCK_SKEW = 60  # seconds of tolerance on exp / iat
ID_TOKEN_MAX_AGE = 600  # an ID token issued longer ago than this is refused
DISABLED_ACR = {"", "none"}  # SCEAU_OIDC_ACR_VALUES=none: no acr_values sent nor checked


# --- errors --------------------------------------------------------------------------------


class OidcError(SceauError):
    """A step of the OpenID Connect exchange failed; ``reason`` is for the journal."""

    status = 400
    code = "oidc_error"
    message = (
        "La connexion par le fournisseur d'identité n'a pas abouti : recommencez depuis la page "
        "de connexion."
    )

    def __init__(self, reason: str, message: str | None = None) -> None:
        self.reason = reason
        super().__init__(message)


class OidcUnavailable(OidcError):
    """The provider cannot be reached or answers something unusable (its fault, not yours)."""

    status = 502
    code = "oidc_unavailable"
    message = (
        "Le fournisseur d'identité ne répond pas correctement pour le moment : réessayez dans "
        "quelques minutes, ou connectez-vous avec l'identifiant et le code de votre acte."
    )


class OidcStateInvalid(OidcError):
    """The callback does not answer a request this browser made (missing, wrong, replayed,
    expired state)."""

    status = 400
    code = "oidc_state_invalid"
    message = (
        "Ce retour du fournisseur d'identité ne correspond à aucune demande en cours dans ce "
        "navigateur (lien expiré, déjà utilisé ou ouvert ailleurs) : recommencez depuis la page "
        "de connexion."
    )


class OidcDenied(OidcError):
    """The provider answered with an error (the person cancelled, or the request was refused)."""

    status = 403
    code = "oidc_denied"
    message = (
        "Le fournisseur d'identité n'a pas confirmé votre identité (connexion annulée ou "
        "refusée) : recommencez, ou connectez-vous avec l'identifiant et le code de votre acte."
    )


class OidcTokenInvalid(OidcError):
    """The ID token (or userinfo) failed a check: signature, issuer, audience, expiry, nonce."""

    status = 403
    code = "oidc_token_invalid"
    message = (
        "L'identité transmise par le fournisseur n'a pas pu être vérifiée : elle est refusée. "
        "Recommencez depuis la page de connexion ; si cela se reproduit, connectez-vous avec "
        "l'identifiant et le code de votre acte."
    )


# --- values --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderSettings:
    """What Sceau was told about its provider (from SCEAU_OIDC_*)."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...] = ("openid",)
    acr_values: str = ""
    label: str = "FranceConnect"

    @classmethod
    def from_config(cls, cfg: Any) -> ProviderSettings | None:
        """From ``settings.CONFIG``; None when OpenID Connect is not configured."""
        if not getattr(cfg, "oidc_issuer", ""):
            return None
        acr = cfg.oidc_acr_values.strip()
        return cls(
            issuer=cfg.oidc_issuer.rstrip("/"),
            client_id=cfg.oidc_client_id,
            client_secret=cfg.oidc_client_secret,
            scopes=tuple(cfg.oidc_scopes),
            acr_values="" if acr.lower() in DISABLED_ACR else acr,
            label=cfg.oidc_label,
        )


@dataclass(frozen=True)
class Metadata:
    """The parts of the provider's discovery document Sceau relies on."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    end_session_endpoint: str
    algorithms: tuple[str, ...]
    token_auth_method: str
    acr_values_supported: tuple[str, ...]
    iss_parameter_supported: bool


@dataclass(frozen=True)
class AuthorizationRequest:
    """One authorization request: the URL to send the browser to, and what to keep (server
    side, single use) to check the answer."""

    url: str
    state: str
    nonce: str = field(repr=False)
    code_verifier: str = field(repr=False)


@dataclass(frozen=True)
class VerifiedIdentity:
    """An identity whose ID token and userinfo passed every check."""

    issuer: str
    subject: str
    given_name: str
    family_name: str
    birthdate: str
    email: str
    acr: str
    id_token: str = field(repr=False)  # kept only for the logout hint (id_token_hint)

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.given_name, self.family_name) if p) or self.subject


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def code_challenge(verifier: str) -> str:
    """The S256 PKCE challenge of ``verifier`` (RFC 7636 section 4.2)."""
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


# --- HTTP ----------------------------------------------------------------------------------


def _read(response: requests.Response) -> bytes:
    body = b""
    for chunk in response.iter_content(65536):
        body += chunk
        if len(body) > MAX_RESPONSE_BYTES:
            raise OidcUnavailable("response_too_large")
    return body


def _json_of(response: requests.Response, what: str) -> dict[str, Any]:
    body = _read(response)
    try:
        data = json.loads(body)
    except ValueError:
        raise OidcUnavailable(f"{what}_not_json") from None
    if not isinstance(data, dict):
        raise OidcUnavailable(f"{what}_not_object")
    return data


def _get(url: str, what: str, **kwargs: Any) -> requests.Response:
    try:
        response = requests.get(
            url, timeout=HTTP_TIMEOUT, allow_redirects=False, stream=True, **kwargs
        )
    except requests.RequestException:
        raise OidcUnavailable(f"{what}_unreachable") from None
    if response.status_code != 200:
        response.close()
        raise OidcUnavailable(f"{what}_status_{response.status_code}")
    return response


# --- the client ----------------------------------------------------------------------------

_cache_lock = threading.Lock()
_metadata_cache: dict[str, tuple[float, Metadata]] = {}
_jwks_cache: dict[str, tuple[float, tuple[dict[str, Any], ...]]] = {}


def clear_caches() -> None:
    """Forget every discovery document and JWKS (tests, configuration change)."""
    with _cache_lock:
        _metadata_cache.clear()
        _jwks_cache.clear()


class OidcClient:
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
        meta = self.metadata()
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError:
            raise OidcTokenInvalid("malformed") from None
        alg = header.get("alg")
        if alg not in meta.algorithms:
            raise OidcTokenInvalid("algorithm_not_allowed")
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

    def _verify_signed_userinfo(self, signed: str) -> dict[str, Any]:
        meta = self.metadata()
        try:
            header = jwt.get_unverified_header(signed)
        except jwt.PyJWTError:
            raise OidcTokenInvalid("userinfo_malformed") from None
        alg = header.get("alg")
        if alg not in meta.algorithms:
            raise OidcTokenInvalid("userinfo_algorithm_not_allowed")
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


def _key_type_of(alg: str) -> str:
    if alg.startswith(("RS", "PS")):
        return "RSA"
    if alg.startswith("ES"):
        return "EC"
    return "OKP"


def _at_hash(access_token: str, alg: str) -> str:
    """OpenID Connect Core 3.1.3.6: left half of the hash of the access token."""
    bits = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}
    hasher = bits.get(alg[-3:], hashlib.sha512)  # EdDSA (Ed25519): SHA-512
    digest = hasher(access_token.encode("ascii")).digest()
    return b64url(digest[: len(digest) // 2])
