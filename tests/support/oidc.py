"""Tokens from the local OpenID Connect provider (tests/portal/oidc/server.mjs), obtained
with a real authorization-code grant: its development login and consent pages are
answered with requests, as a person answers them in a browser.

The provider's one client only knows the portal's callback as a redirect URI, so the flow
stops at the redirect to it: `consent` returns that URL (code and state included), which a
test either gives to the portal (a real first login) or exchanges for tokens.
"""

import secrets
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests

from tests.support.browser import OIDC_PROVIDER_ID, OidcProvider

TIMEOUT = 10
SCOPE = "openid email profile"


def callback_url(live_server_url: str) -> str:
    """The redirect URI the provider's client was registered with."""
    return f"{live_server_url}/accounts/oidc/{OIDC_PROVIDER_ID}/login/callback/"


def discovery(provider: OidcProvider) -> dict:
    url = f"{provider.issuer}/.well-known/openid-configuration"
    response = requests.get(url, timeout=TIMEOUT)
    response.raise_for_status()
    return response.json()


def consent(authorization_url: str, login: str, redirect_uri: str) -> str:
    """Sign in as `login` (any password) and consent; the URL the provider sends the
    browser back to, with the authorization code."""
    session = requests.Session()
    url = authorization_url
    for _ in range(20):
        response = session.get(url, allow_redirects=False, timeout=TIMEOUT)
        if response.is_redirect:
            url = urljoin(url, response.headers["Location"])
            if url.startswith(redirect_uri):
                return url
            continue
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        # The development pages post back to the page's own URL.
        prompt = "login" if 'name="login"' in response.text else "consent"
        form = {"prompt": prompt, "login": login, "password": "any password"}
        posted = session.post(url, data=form, allow_redirects=False, timeout=TIMEOUT)
        assert posted.is_redirect, f"the {prompt} page answered {posted.status_code}"
        url = urljoin(url, posted.headers["Location"])
    raise AssertionError("the provider never sent the browser back")


def access_token(provider: OidcProvider, login: str, redirect_uri: str) -> str:
    """An access token for `login`, by the authorization-code grant."""
    config = discovery(provider)
    state = secrets.token_urlsafe(16)
    query = {
        "client_id": provider.client_id,
        "response_type": "code",
        "scope": SCOPE,
        "redirect_uri": redirect_uri,
        "state": state,
        "nonce": secrets.token_urlsafe(16),
    }
    back = consent(f"{config['authorization_endpoint']}?{urlencode(query)}", login, redirect_uri)
    assert _query_value(back, "state") == state, back
    response = requests.post(
        config["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": _query_value(back, "code"),
            "redirect_uri": redirect_uri,
            "client_id": provider.client_id,
            "client_secret": provider.secret,
        },
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def _query_value(url: str, name: str) -> str:
    values = parse_qs(urlsplit(url).query).get(name)
    assert values, f"no {name} in {url}"
    return values[0]
