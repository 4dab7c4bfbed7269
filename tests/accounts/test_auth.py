"""Local accounts: sign-up with verified e-mail, login throttling, closing sign-up, TOTP."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from tests.support.accounts import PASSWORD, current_totp, enable_totp, login, verified_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def verified_alice(django_user_model):
    return verified_user(django_user_model, "alice")


def test_sign_up_needs_the_emailed_link(client, mailoutbox):
    client.post(
        "/accounts/signup/",
        {
            "email": "carol@example.org",
            "username": "carol",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert client.get("/hosts/").status_code == 302
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mailoutbox[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    client.post("/" + path)
    assert EmailAddress.objects.get(email="carol@example.org").verified
    assert login(client, "carol").status_code == 302
    assert client.get("/hosts/").status_code == 200


def test_logging_in_with_a_wrong_password_is_throttled(client, verified_alice):
    for _ in range(5):
        assert login(client, password="wrong").status_code == 200
    page = login(client).content.decode()
    assert "Too many failed login attempts" in page
    assert client.get("/hosts/").status_code == 302


def test_sign_up_can_be_closed(client, settings):
    settings.DDNS_SIGNUP_OPEN = False
    page = client.get("/accounts/signup/").content.decode()
    assert "Sign Up Closed" in page or "closed" in page.lower()
    client.post(
        "/accounts/signup/",
        {
            "email": "dave@example.org",
            "username": "dave",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert not get_user_model().objects.filter(username="dave").exists()


def test_local_accounts_can_be_switched_off(client, verified_alice, settings):
    settings.SOCIALACCOUNT_ONLY = True
    login(client)
    assert client.get("/hosts/").status_code == 302


def test_totp_is_asked_after_the_password_once_enabled(client, verified_alice):
    assert login(client).status_code == 302
    secret = enable_totp(client)
    client.post("/accounts/logout/")

    response = login(client)
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert client.get("/hosts/").status_code == 302
    client.post("/accounts/2fa/authenticate/", {"code": current_totp(secret)})
    assert client.get("/hosts/").status_code == 200


def test_profile_links_to_security_settings(client, verified_alice):
    login(client)
    page = client.get("/accounts/profile/").content.decode()
    for path in ("/accounts/password/change/", "/accounts/2fa/", "/accounts/email/"):
        assert path in page
