"""OpenID Connect access tokens as API credentials: whose bearer token is this?

A token is shown to the userinfo endpoint of the configured provider that issued it (the
allauth `openid_connect` apps: DDNS_OIDC_PROVIDERS or the admin's social applications).
The answer's `sub` names the federated account, which is found or created as a first
portal login would create it (allauth's SocialLogin, adapters and signals), so a person
gets the same user whether they log into the portal first or call the API first.

Answers are cached briefly in Django's cache under the token's SHA-256 digest (never the
token): a good one for DDNS_OIDC_TOKEN_CACHE_SECONDS (less when the token expires sooner),
a refused one for DDNS_OIDC_REJECTED_CACHE_SECONDS, so a client retrying a dead token does
not make us call the provider each time. This is the one module that calls providers
outside allauth's login views.
"""

import base64
import binascii
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from importlib import import_module
from typing import Any

import requests
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.models import EmailAddress
from allauth.account.signals import user_signed_up
from allauth.account.utils import user_email, user_username
from allauth.core import context
from allauth.socialaccount import app_settings as socialaccount_settings
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from accounts import tokens
from accounts.models import FULL, ApiToken

logger = logging.getLogger(__name__)

PROVIDER = "openid_connect"
# Real access tokens are a few hundred to a couple of thousand characters; anything longer
# is not sent anywhere.
MAX_TOKEN_LENGTH = 8192
_REJECTED = "rejected"


class OidcUnavailable(Exception):
    """No configured provider could answer whether the token is valid (network, 5xx)."""


@dataclass(frozen=True)
class _Endpoints:
    issuer: str
    userinfo: str


def user_for_access_token(token: str) -> User | None:
    """The active user whose access token this is; None when no configured provider
    vouches for it. Raises OidcUnavailable when a provider that might have cannot be
    asked (callers answer "try again later", not "wrong credentials")."""
    token = token.strip()
    if not _plausible(token):
        return None
    key = "oidc:token:" + hashlib.sha256(token.encode()).hexdigest()
    cached = cache.get(key)
    if cached == _REJECTED:
        return None
    if cached is not None and (user := _active_user(cached)) is not None:
        return user
    found = _ask_providers(token)
    user = _federated_user(*found) if found else None
    if user is None:
        cache.set(key, _REJECTED, settings.DDNS_OIDC_REJECTED_CACHE_SECONDS)
    else:
        cache.set(key, user.pk, _believed_for(token))
    return user


def bearer_token(raw: str, *, source: str | None) -> ApiToken:
    """The credential a Bearer value stands for: a personal API token, or an access token
    whose user acts as with a full-scope token of their own (built here, never stored).

    Raises TokenRejected when it is neither, OidcUnavailable when a provider cannot say.
    """
    if tokens.looks_like_token(raw):
        return tokens.token_authenticate(raw, source=source)
    user = user_for_access_token(raw)
    if user is None:
        raise tokens.TokenRejected("invalid token")
    return ApiToken(owner=user, name="OpenID Connect", scope=FULL)


def _plausible(token: str) -> bool:
    # RFC 6750 b64token characters only: nothing else is worth a round trip, and a header
    # with control characters must never reach another server.
    return (
        0 < len(token) <= MAX_TOKEN_LENGTH
        and token.isascii()
        and all(ch.isalnum() or ch in "-._~+/=" for ch in token)
    )


def _active_user(pk: Any) -> User | None:
    return get_user_model().objects.filter(pk=pk, is_active=True).first()


# --- Asking the providers ------------------------------------------------------------


def _ask_providers(token: str) -> tuple[SocialApp, dict] | None:
    """(app, userinfo claims) of the provider that accepts the token, or None.

    A JWT access token names its issuer: only that provider sees it. An opaque token is
    offered to each configured provider in turn.
    """
    issuer = _unverified_issuer(token)
    unavailable: OidcUnavailable | None = None
    for app in get_adapter().list_apps(None, provider=PROVIDER):
        try:
            endpoints = _endpoints(app)
            if issuer is not None and endpoints.issuer.rstrip("/") != issuer.rstrip("/"):
                continue
            claims = _userinfo(endpoints.userinfo, token)
        except OidcUnavailable as error:
            logger.warning("OpenID Connect provider %s unavailable: %s", app.provider_id, error)
            unavailable = error
            continue
        if claims is not None:
            return app, claims
    if unavailable is not None:
        raise unavailable
    return None


def _unverified_issuer(token: str) -> str | None:
    """The `iss` of a JWT access token, read without checking the signature: it only
    chooses which provider to ask, and that provider's userinfo answer is what counts."""
    issuer = _unverified_claims(token).get("iss")
    return issuer if isinstance(issuer, str) else None


def _unverified_claims(token: str) -> dict:
    """The payload of a JWT (unchecked), or {} for an opaque token."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _endpoints(app: SocialApp) -> _Endpoints:
    """The issuer and userinfo endpoint from the provider's discovery document (cached)."""
    url = app.get_provider(_internal_request()).server_url
    key = "oidc:discovery:" + hashlib.sha256(url.encode()).hexdigest()
    config = cache.get(key)
    if config is None:
        config = _get_json(url, headers={})
        if not isinstance(config, dict):
            raise OidcUnavailable(f"{url} did not answer a discovery document")
        cache.set(key, config, settings.DDNS_OIDC_DISCOVERY_CACHE_SECONDS)
    config = {**config, **app.settings.get("openid_configuration_overrides", {})}
    issuer, userinfo = config.get("issuer"), config.get("userinfo_endpoint")
    if not (isinstance(issuer, str) and isinstance(userinfo, str)):
        raise OidcUnavailable(f"{url} names no issuer or userinfo endpoint")
    return _Endpoints(issuer=issuer, userinfo=userinfo)


def _userinfo(url: str, token: str) -> dict | None:
    """The claims the provider gives for this token; None when it refuses the token."""
    try:
        claims = _get_json(url, headers={"Authorization": f"Bearer {token}"})
    except _Refused:
        return None
    if not isinstance(claims, dict) or not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise OidcUnavailable(f"{url} answered without a subject")
    return claims


class _Refused(Exception):
    pass


def _get_json(url: str, headers: dict[str, str]) -> Any:
    try:
        with get_adapter().get_requests_session() as session:
            response = session.get(url, headers=headers, timeout=settings.DDNS_OIDC_TIMEOUT)
    except requests.RequestException as error:
        raise OidcUnavailable(f"{url}: {type(error).__name__}") from None
    if response.status_code in (400, 401, 403):
        raise _Refused()
    if response.status_code != 200:
        raise OidcUnavailable(f"{url} answered HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError:
        raise OidcUnavailable(f"{url} did not answer JSON") from None


def _believed_for(token: str) -> int:
    """Seconds to trust the provider's yes: the setting, or less when a JWT expires sooner."""
    lifetime = settings.DDNS_OIDC_TOKEN_CACHE_SECONDS
    expires = _unverified_claims(token).get("exp")
    if not isinstance(expires, int | float):
        return lifetime
    return max(1, min(lifetime, int(expires - time.time())))


# --- The federated account -----------------------------------------------------------


def _internal_request() -> HttpRequest:
    """A request of our own for allauth's hooks: the API caller's session is never
    touched (no one is logged in by a bearer token), and nothing of it is saved."""
    request = HttpRequest()
    request.method = "GET"
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    return request


def _federated_user(app: SocialApp, claims: dict) -> User | None:
    """The user of the provider's account `sub`, created on first use as a first login
    creates it; None when the account may not be used here."""
    request = _internal_request()
    with context.request_context(request):
        sociallogin = app.get_provider(request).sociallogin_from_response(
            request, {"userinfo": claims}
        )
        sociallogin.lookup()
        if not sociallogin.is_existing:
            return _sign_up(request, sociallogin)
    user = sociallogin.user
    return user if user is not None and user.is_active else None


def _sign_up(request: HttpRequest, sociallogin: SocialLogin) -> User | None:
    """allauth's automatic sign-up of a first social login, without its redirects."""
    user = sociallogin.user
    adapter = get_adapter()
    if not adapter.is_open_for_signup(request, sociallogin):
        logger.info(
            "no account for OpenID Connect subject %s: sign-up is closed", _uid(sociallogin)
        )
        return None
    email = user_email(user)
    if (
        not adapter.is_auto_signup_allowed(request, sociallogin)
        or (socialaccount_settings.EMAIL_REQUIRED and not email)
        or _email_taken(email)
    ):
        # The portal would ask this person to complete a sign-up form; an API call cannot.
        logger.info("OpenID Connect subject %s must sign up in the portal", _uid(sociallogin))
        return None
    try:
        get_account_adapter(request).clean_username(user_username(user) or "")
    except ValidationError:
        user_username(user, "")  # taken or not allowed: allauth makes one up
    try:
        with transaction.atomic():
            adapter.save_user(request, sociallogin, form=None)
    except IntegrityError:
        # The same person's first two calls raced; the other one created the account.
        sociallogin.user = None
        sociallogin.lookup()
        return sociallogin.user if sociallogin.is_existing else None
    user_signed_up.send(sender=type(user), request=request, user=user, sociallogin=sociallogin)
    logger.info("account %s created for OpenID Connect subject %s", user.pk, _uid(sociallogin))
    return user


def _email_taken(email: str | None) -> bool:
    # Another account's address: allauth's auto sign-up stops here too, as this person
    # might not own that account.
    return bool(email) and (
        EmailAddress.objects.filter(email__iexact=email).exists()
        or get_user_model().objects.filter(email__iexact=email).exists()
    )


def _uid(sociallogin: SocialLogin) -> str:
    return f"{sociallogin.account.provider}/{sociallogin.account.uid}"
