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

from sceau.identity.oidc.client import OidcClient
from sceau.identity.oidc.common import (
    ASYMMETRIC_ALGORITHMS,
    CLOCK_SKEW,
    DISABLED_ACR,
    DISCOVERY_TTL,
    HTTP_TIMEOUT,
    ID_TOKEN_MAX_AGE,
    JWKS_MIN_REFRESH,
    JWKS_TTL,
    MAX_RESPONSE_BYTES,
    AuthorizationRequest,
    Metadata,
    OidcDenied,
    OidcError,
    OidcStateInvalid,
    OidcTokenInvalid,
    OidcUnavailable,
    ProviderSettings,
    VerifiedIdentity,
    b64url,
    clear_caches,
    code_challenge,
)

__all__ = [
    "ASYMMETRIC_ALGORITHMS",
    "CLOCK_SKEW",
    "DISABLED_ACR",
    "DISCOVERY_TTL",
    "HTTP_TIMEOUT",
    "ID_TOKEN_MAX_AGE",
    "JWKS_MIN_REFRESH",
    "JWKS_TTL",
    "MAX_RESPONSE_BYTES",
    "AuthorizationRequest",
    "Metadata",
    "OidcClient",
    "OidcDenied",
    "OidcError",
    "OidcStateInvalid",
    "OidcTokenInvalid",
    "OidcUnavailable",
    "ProviderSettings",
    "VerifiedIdentity",
    "b64url",
    "clear_caches",
    "code_challenge",
]
