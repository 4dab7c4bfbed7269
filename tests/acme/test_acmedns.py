"""The acme-dns dialect: POST /acme-dns/update with X-Api-User / X-Api-Key, answered as
acme-dns answers ({"txt": ...} or {"error": ...} with 400/401)."""

import json
import secrets

import pytest

from accounts.tokens import token_create
from domains import dns, services

pytestmark = pytest.mark.django_db

UPDATE = "/acme-dns/update"


def ok(response) -> bool:
    return response.status_code == 200


def update(client, user, key, payload):
    data = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(
        UPDATE, data, content_type="application/json", HTTP_X_API_USER=user, HTTP_X_API_KEY=key
    )


def digest() -> str:
    return secrets.token_urlsafe(32)


def test_an_update_publishes_the_value_and_echoes_it(client, make_host, bind):
    host, secret = make_host()
    value = digest()
    response = update(client, host.fqdn, secret, {"subdomain": host.fqdn, "txt": value})
    assert response.status_code == 200
    assert response.json() == {"txt": value}
    assert bind.lookup(dns.challenge_name(host.fqdn), "TXT") == [value]


def test_the_two_most_recent_values_are_kept(client, make_host, bind):
    host, secret = make_host()
    values = [digest() for _ in range(3)]
    for value in values:
        assert (
            update(client, host.fqdn, secret, {"subdomain": host.fqdn, "txt": value}).status_code
            == 200
        )
    assert services.acme_txt_list(host) == values[1:]
    assert bind.lookup(dns.challenge_name(host.fqdn), "TXT") == sorted(values[1:])


def test_the_challenge_name_is_taken_as_subdomain_too(client, make_host):
    host, secret = make_host()
    subdomain = dns.challenge_name(host.fqdn)
    assert (
        update(client, host.fqdn, secret, {"subdomain": subdomain, "txt": digest()}).status_code
        == 200
    )


def test_a_host_scoped_token_is_accepted_as_key(client, make_host, alice):
    host, _ = make_host()
    _, raw = token_create(owner=alice, name="acme", scope="hosts", hosts=[host])
    assert (
        update(client, "alice", raw, {"subdomain": host.fqdn, "txt": digest()}).status_code == 200
    )


@pytest.mark.parametrize("user", ["", "nobody.dyn.test"])
def test_bad_credentials_are_forbidden(client, make_host, user):
    host, _ = make_host()
    response = update(client, user, "wrong-key", {"subdomain": host.fqdn, "txt": digest()})
    assert response.status_code == 401
    assert response.json() == {"error": "forbidden"}


def test_another_hosts_subdomain_is_forbidden(client, make_host):
    host, secret = make_host()
    other, _ = make_host()
    response = update(client, host.fqdn, secret, {"subdomain": other.fqdn, "txt": digest()})
    assert response.status_code == 401
    assert response.json() == {"error": "forbidden"}
    assert services.acme_txt_list(other) == []


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ("nonsense", "bad_subdomain"),
        ({"subdomain": 5, "txt": "x"}, "bad_subdomain"),
        ({"subdomain": "not a name", "txt": "a" * 43}, "bad_subdomain"),
        ("TXT", "bad_txt"),
    ],
)
def test_bad_input_is_a_400_with_acme_dns_codes(client, make_host, payload, error):
    host, secret = make_host()
    if payload == "TXT":
        payload = {"subdomain": host.fqdn, "txt": "not-a-digest"}
    response = update(client, host.fqdn, secret, payload)
    assert response.status_code == 400
    assert response.json() == {"error": error}
    assert services.acme_txt_list(host) == []
