"""/admin/login/ is the portal's login: throttled, and asking for the second factor."""

import pytest

from tests.support.accounts import PASSWORD, current_totp, enable_totp, login, verified_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def olga(django_user_model):
    return verified_user(django_user_model, "olga", is_staff=True, is_superuser=True)


def test_the_admin_login_sends_people_to_the_portals_login(client, olga):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "next=%2Fadmin%2F" in response["Location"]


def test_a_password_posted_to_the_admin_login_does_not_log_in(client, olga):
    response = login(client, "olga", path="/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get("/admin/").status_code == 302


def test_wrong_passwords_for_an_operator_are_throttled(client, olga):
    for _ in range(25):
        login(client, "olga", password="wrong", path="/admin/login/")
        login(client, "olga", password="wrong")
    page = login(client, "olga").content.decode()
    assert "Too many failed login attempts" in page
    assert client.get("/admin/").status_code == 302


def test_an_operator_with_totp_needs_the_code_for_the_admin(client, olga):
    login(client, "olga")
    secret = enable_totp(client)
    client.post("/accounts/logout/")

    response = login(client, "olga")
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert client.get("/admin/").status_code == 302
    client.post("/accounts/2fa/authenticate/", {"code": current_totp(secret)})
    assert client.get("/admin/").status_code == 200


def test_a_logged_in_user_who_is_not_staff_is_refused(client, django_user_model):
    verified_user(django_user_model, "mallory")
    login(client, "mallory", PASSWORD)
    assert client.get("/admin/login/").status_code == 403
    assert client.get("/admin/").status_code == 302
