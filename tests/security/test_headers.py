"""Security headers on the portal, the REST API and dyndns2, and HTTPS when the site has TLS.

dyndns2 clients parse the body: it must stay byte for byte what the protocol says, only
headers are added.
"""

import pytest
from django.test import Client

from accounts import tokens
from tests.support.accounts import PASSWORD, verified_user
from tests.support.limits import _limits_of_this_test  # noqa: F401  (own Redis keys)
from tests.support.web import basic, logged_in

pytestmark = pytest.mark.django_db

ALWAYS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def assert_hardened(response) -> None:
    for header, value in ALWAYS.items():
        assert response.headers.get(header) == value, header
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy


def test_portal_pages_forbid_inline_scripts_and_framing(alice):
    response = logged_in(alice).get("/hosts/")
    assert response.status_code == 200
    assert_hardened(response)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "style-src 'self';" in policy
    assert "unsafe-inline" not in policy


def test_the_login_page_carries_the_headers(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert_hardened(response)


def test_the_api_answers_carry_the_headers(alice):
    _token, raw = tokens.token_create(owner=alice, name="script")
    response = Client().get("/api/v1/hosts/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert_hardened(response)


def test_the_api_documentation_may_inline_but_loads_nothing_from_elsewhere(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline'" in policy
    assert "default-src 'self'" in policy
    assert "https:" not in policy


def test_dyndns2_answers_keep_their_exact_bodies(client, make_host):
    host, secret = make_host()
    auth = basic(host.fqdn, secret)
    good = client.get("/nic/update", {"hostname": host.fqdn, "myip": "192.0.2.7"},
                      HTTP_AUTHORIZATION=auth)  # fmt: skip
    nochg = client.get("/nic/update", {"hostname": host.fqdn, "myip": "192.0.2.7"},
                       HTTP_AUTHORIZATION=auth)  # fmt: skip
    refused = client.get("/nic/update", {"hostname": host.fqdn, "myip": "192.0.2.7"},
                         HTTP_AUTHORIZATION=basic(host.fqdn, "wrong"))  # fmt: skip
    assert good.content == b"good 192.0.2.7\n"
    assert nochg.content == b"nochg 192.0.2.7\n"
    assert refused.content == b"badauth\n"
    assert good["Content-Type"] == "text/plain; charset=utf-8"
    assert good["Content-Length"] == str(len(b"good 192.0.2.7\n"))
    for response in (good, nochg, refused):
        assert_hardened(response)


def test_without_tls_there_is_no_hsts_and_no_redirect(client):
    response = client.get("/accounts/login/", secure=True)
    assert "Strict-Transport-Security" not in response.headers
    assert client.get("/accounts/login/").status_code == 200


@pytest.fixture
def tls_site(settings):
    """The settings DDNS_TLS=true gives (read by SecurityMiddleware when a client starts)."""
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_SSL_REDIRECT = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True


def test_with_tls_https_answers_carry_hsts(tls_site):
    response = Client().get("/accounts/login/", secure=True)
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_with_tls_pages_asked_over_http_are_redirected(tls_site):
    response = Client().get("/hosts/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/hosts/"


def test_with_tls_dyndns2_over_http_is_answered_not_redirected(tls_site, make_host):
    # A router that speaks only HTTP does not follow redirects: its update would be lost.
    host, secret = make_host()
    response = Client().get(
        "/nic/update",
        {"hostname": host.fqdn, "myip": "192.0.2.8"},
        HTTP_AUTHORIZATION=basic(host.fqdn, secret),
    )
    assert response.status_code == 200
    assert response.content == b"good 192.0.2.8\n"
    assert Client().get("/myip").status_code == 200


def test_with_tls_the_session_and_csrf_cookies_are_secure(tls_site, django_user_model):
    verified_user(django_user_model, "carol")
    client = Client()
    response = client.get("/accounts/login/", secure=True)
    assert response.cookies["csrftoken"]["secure"] is True
    response = client.post(
        "/accounts/login/", {"login": "carol", "password": PASSWORD}, secure=True
    )
    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"] is True
    assert response.cookies["sessionid"]["httponly"] is True
