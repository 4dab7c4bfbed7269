"""Logging in as people do: the allauth login form, TOTP codes."""

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)

PASSWORD = "correct horse battery 42"


def verified_user(django_user_model, username: str, **extra):
    """A user with a verified e-mail address, who may log in with PASSWORD."""
    user = django_user_model.objects.create_user(
        username, f"{username}@example.org", PASSWORD, **extra
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def login(client, login: str = "alice", password: str = PASSWORD, path: str = "/accounts/login/"):
    return client.post(path, {"login": login, "password": password})


def current_totp(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def enable_totp(client) -> str:
    """Turn on TOTP for the logged-in user; returns its secret."""
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    client.get("/accounts/2fa/totp/activate/")
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post("/accounts/2fa/totp/activate/", {"code": current_totp(secret)})
    assert response.status_code == 302, "TOTP was not activated"
    return secret
