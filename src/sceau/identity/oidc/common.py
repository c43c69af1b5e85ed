"""The relying party's shared parts: settings, errors, results, HTTP helpers, caches."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any

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
