"""lego's httpreq dialect: POST /acme/httpreq/present and /cleanup with Basic auth."""

import hashlib
import json
import secrets
from base64 import urlsafe_b64encode

import pytest

from accounts.tokens import token_create
from domains import dns, services
from tests.support.web import basic

pytestmark = pytest.mark.django_db

PRESENT = "/acme/httpreq/present"
CLEANUP = "/acme/httpreq/cleanup"


def digest() -> str:
    return secrets.token_urlsafe(32)


def post(client, path, payload, auth=None, **extra):
    data = payload if isinstance(payload, (str, bytes)) else json.dumps(payload) + "\n"
    if auth:
        extra["HTTP_AUTHORIZATION"] = auth
    return client.post(path, data, content_type="application/json", **extra)


def record(host, value):
    return {"fqdn": f"{dns.challenge_name(host.fqdn)}.", "value": value}


def served(bind, host):
    return bind.lookup(dns.challenge_name(host.fqdn), "TXT")


def test_present_then_cleanup_as_lego_sends_them(client, make_host, bind):
    host, secret = make_host()
    first, second = digest(), digest()
    for value in (first, second):
        response = post(client, PRESENT, record(host, value), basic(host.fqdn, secret))
        assert response.status_code == 200, response.content
    assert served(bind, host) == sorted([first, second])

    response = post(client, CLEANUP, record(host, first), basic(host.fqdn, secret))

    assert response.status_code == 200
    assert served(bind, host) == [second]


def test_raw_mode_is_understood(client, make_host, bind):
    host, secret = make_host()
    key_auth = "token-abc.thumbprint-xyz"
    payload = {"domain": f"*.{host.fqdn}", "token": "token-abc", "keyAuth": key_auth}
    response = post(client, PRESENT, payload, basic(host.fqdn, secret))
    assert response.status_code == 200, response.content
    value = urlsafe_b64encode(hashlib.sha256(key_auth.encode()).digest()).decode().rstrip("=")
    assert served(bind, host) == [value]


def test_a_host_scoped_token_works_as_password_or_bearer(client, make_host, alice, bind):
    host, _ = make_host()
    _, raw = token_create(owner=alice, name="certbot", scope="hosts", hosts=[host])
    assert post(client, PRESENT, record(host, digest()), basic("alice", raw)).status_code == 200
    assert post(client, PRESENT, record(host, digest()), f"Bearer {raw}").status_code == 200
    assert len(served(bind, host)) == 2


def test_a_token_that_does_not_cover_the_host_is_forbidden(client, make_host, alice):
    host, _ = make_host()
    other, _ = make_host()
    _, raw = token_create(owner=alice, name="one host", scope="hosts", hosts=[other])
    response = post(client, PRESENT, record(host, digest()), f"Bearer {raw}")
    assert response.status_code == 403
    assert services.acme_txt_list(host) == []


def test_a_read_only_token_may_not_write(client, make_host, alice):
    host, _ = make_host()
    _, raw = token_create(owner=alice, name="reader", scope="read")
    response = post(client, PRESENT, record(host, digest()), f"Bearer {raw}")
    assert response.status_code == 403
    assert "read" in response.json()["error"]


def test_another_hosts_secret_is_forbidden(client, make_host):
    host, _ = make_host()
    other, other_secret = make_host()
    response = post(client, PRESENT, record(host, digest()), basic(other.fqdn, other_secret))
    assert response.status_code == 403
    assert host.fqdn in response.json()["error"]
    assert services.acme_txt_list(host) == []


@pytest.mark.parametrize("auth", [None, "Basic !!!", "Digest x", "Bearer ddns_nope"])
def test_missing_or_bad_credentials_are_unauthorised(client, make_host, auth):
    host, _ = make_host()
    response = post(client, PRESENT, record(host, digest()), auth)
    assert response.status_code == 401
    assert "WWW-Authenticate" in response
    assert services.acme_txt_list(host) == []


def test_a_wrong_secret_is_unauthorised_and_counted(client, make_host):
    host, _ = make_host()
    response = post(client, PRESENT, record(host, digest()), basic(host.fqdn, "wrong"))
    assert response.status_code == 401
    host.refresh_from_db()
    assert host.auth_faults == 1


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ({"fqdn": 1, "value": "x"}, "the body must be"),
        ({"fqdn": "other.dyn.test.", "value": "a" * 43}, "_acme-challenge"),
        ({"fqdn": "_acme-challenge.h.dyn.test.", "value": "too short"}, "43-character"),
    ],
)
def test_bad_input_is_a_clear_400(client, make_host, payload, message):
    host, secret = make_host()
    response = post(client, PRESENT, payload, basic(host.fqdn, secret))
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert services.acme_txt_list(host) == []


def test_an_oversized_body_is_refused(client, make_host):
    host, secret = make_host()
    payload = record(host, digest()) | {"padding": "x" * 5000}
    response = post(client, PRESENT, payload, basic(host.fqdn, secret))
    assert response.status_code == 413
    assert services.acme_txt_list(host) == []


def test_only_post_is_allowed(client):
    assert client.get(PRESENT).status_code == 405


def test_a_failing_server_is_503_and_nothing_is_stored(client, private_bind, alice):
    from tests.support.bind import make_domain, unique_label

    domain = make_domain(private_bind)
    host, secret = services.host_register(domain=domain, label=unique_label(), owner=alice)
    private_bind.stop()
    response = post(client, PRESENT, record(host, digest()), basic(host.fqdn, secret))
    assert response.status_code == 503
    assert "DNS server" in response.json()["error"]
    assert services.acme_txt_list(host) == []
