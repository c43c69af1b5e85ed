"""Helpers of the OpenID Connect tests: the test client's registration, and the provider's side
of a browser."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

CLIENT_ID = "sceau-tests"
CLIENT_SECRET = "s3cr3t: with/special+chars&="  # exercises the form-encoding of Basic auth
OTHER_CLIENT_ID = "other-client"
OTHER_CLIENT_SECRET = "other-secret"
PUBLIC_URL = "http://127.0.0.1:8000"  # the default SCEAU_PUBLIC_URL of the test settings
REDIRECT_URI = f"{PUBLIC_URL}/oidc/retour/"
POST_LOGOUT_URI = f"{PUBLIC_URL}/oidc/deconnecte/"
SCOPES = ("openid", "given_name", "family_name", "birthdate", "email")


class ProviderBrowser:
    """The provider's side of a browser: follows redirects, fills the login form, and stops at
    the redirect back to Sceau's callback (whose query it returns)."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.logins = 0  # how many times the provider asked this browser to sign in

    def authorize(
        self, auth_url: str, login: str, acr: str = "eidas1", redirect_uri: str = REDIRECT_URI
    ) -> dict[str, str]:
        url = auth_url
        for _ in range(12):
            answer = self.session.get(url, allow_redirects=False, timeout=10)
            if answer.status_code in (302, 303):
                url = urljoin(url, answer.headers["Location"])
            elif answer.status_code == 200 and 'name="login"' in answer.text:
                action = re.search(r'action="([^"]+)"', answer.text).group(1)
                answer = self.session.post(
                    urljoin(url, action),
                    data={"login": login, "acr": acr},
                    allow_redirects=False,
                    timeout=10,
                )
                assert answer.status_code in (302, 303), answer.text[:300]
                self.logins += 1
                url = urljoin(url, answer.headers["Location"])
            else:
                raise AssertionError(f"provider answered {answer.status_code}: {answer.text[:300]}")
            if url.startswith(redirect_uri):
                return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        raise AssertionError("too many redirects at the provider")
