"""Authentication failures counted per source address on every entry point: past
DDNS_AUTH_FAILURES_PER_SOURCE, the source is refused before its credentials are looked
at (dyndns2: `abuse`; the HTTP APIs: 429 with Retry-After in their own error shape),
while every other address goes on as before."""

import json
import secrets

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts import tokens
from domains import dns
from tests.support.web import basic, body

pytestmark = pytest.mark.django_db

LIMIT = 3
ATTACKER = "198.51.100.7"
NEIGHBOUR = "198.51.100.8"


@pytest.fixture(autouse=True)
def _low_limit(settings):
    settings.DDNS_AUTH_FAILURES_PER_SOURCE = LIMIT


def from_address(source: str) -> Client:
    return Client(REMOTE_ADDR=source)


def api_from(source: str, raw: str) -> APIClient:
    client = APIClient(REMOTE_ADDR=source)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def update(client: Client, host, secret: str, ip: str = "192.0.2.20"):
    return client.get("/nic/update", {"myip": ip}, HTTP_AUTHORIZATION=basic(host.fqdn, secret))


# --- dyndns2 ----------------------------------------------------------------------------


def test_dyndns2_refuses_a_guessing_address_even_with_the_right_secret(make_host):
    host, secret = make_host()
    attacker = from_address(ATTACKER)
    for _ in range(LIMIT):
        assert body(update(attacker, host, "wrong-" + secret)) == "badauth\n"

    response = update(attacker, host, secret)

    assert response.status_code == 200
    assert body(response) == "abuse\n"
    host.refresh_from_db()
    assert host.ipv4 is None
    assert host.auth_faults == LIMIT  # the refused attempt was not even checked


def test_dyndns2_serves_other_addresses_as_before(make_host):
    host, secret = make_host()
    attacker = from_address(ATTACKER)
    for _ in range(LIMIT + 2):
        update(attacker, host, "wrong-" + secret)

    response = update(from_address(NEIGHBOUR), host, secret)

    assert body(response) == "good 192.0.2.20\n"


def test_dyndns2_counts_wrong_tokens_and_unknown_hosts_too(make_host, alice):
    host, secret = make_host()
    attacker = from_address(ATTACKER)
    attacker.get("/nic/update", HTTP_AUTHORIZATION=basic("alice", "ddns_" + "x" * 43))
    attacker.get("/nic/update", HTTP_AUTHORIZATION=f"Bearer ddns_{'y' * 43}")
    attacker.get("/nic/update", HTTP_AUTHORIZATION=basic("nobody." + host.domain.name, "s" * 32))

    assert body(update(attacker, host, secret)) == "abuse\n"


def test_dyndns2_counts_an_ipv6_subscriber_by_its_64(make_host):
    host, secret = make_host()
    for suffix in range(1, LIMIT + 1):  # a new address of the same /64 each time
        update(from_address(f"2001:db8:1:2::{suffix}"), host, "wrong-" + secret)

    refused = update(from_address("2001:db8:1:2::ffff"), host, secret)
    served = update(from_address("2001:db8:1:3::1"), host, secret)

    assert body(refused) == "abuse\n"
    assert body(served) == "good 192.0.2.20\n"


def test_dyndns2_delete_is_refused_too(make_host):
    host, secret = make_host()
    attacker = from_address(ATTACKER)
    for _ in range(LIMIT):
        update(attacker, host, "wrong-" + secret)

    response = attacker.get(
        "/nic/delete", {"myip": "0.0.0.0"}, HTTP_AUTHORIZATION=basic(host.fqdn, secret)
    )

    assert body(response) == "abuse\n"


# --- /nic JSON --------------------------------------------------------------------------


def test_nic_json_answers_429_with_retry_after(alice):
    raw = tokens.token_create(owner=alice, name="script")[1]
    attacker = from_address(ATTACKER)
    for _ in range(LIMIT):
        response = attacker.get("/nic/hosts", HTTP_AUTHORIZATION=f"Bearer ddns_{'z' * 43}")
        assert response.status_code == 401

    response = attacker.get("/nic/hosts", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 600
    assert response.json()["status"] == "error"
    assert "Too many failed authentications" in response.json()["message"]
    neighbour = from_address(NEIGHBOUR).get("/nic/hosts", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert neighbour.status_code == 200
    assert neighbour.json()["status"] == "ok"


# --- REST API ---------------------------------------------------------------------------


def test_rest_api_answers_429_in_its_error_shape(alice):
    raw = tokens.token_create(owner=alice, name="script")[1]
    for _ in range(LIMIT):
        response = api_from(ATTACKER, "ddns_" + "q" * 43).get("/api/v1/hosts/")
        assert response.status_code == 401

    response = api_from(ATTACKER, raw).get("/api/v1/hosts/")

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 600
    error = response.json()["error"]
    assert error["status"] == 429
    assert error["code"] == "throttled"
    assert "too many failed authentications" in error["message"]
    assert api_from(NEIGHBOUR, raw).get("/api/v1/hosts/").status_code == 200


def test_rest_api_sessions_are_not_refused_by_token_failures(alice, alice_client):
    for _ in range(LIMIT + 1):
        api_from("127.0.0.1", "ddns_" + "q" * 43).get("/api/v1/hosts/")

    assert alice_client.get("/api/v1/hosts/").status_code == 200  # no token offered


# --- ACME -------------------------------------------------------------------------------


def present(client: Client, host, password: str):
    payload = {"fqdn": f"{dns.challenge_name(host.fqdn)}.", "value": secrets.token_urlsafe(32)}
    return client.post(
        "/acme/httpreq/present",
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=basic(host.fqdn, password),
    )


def acmedns(client: Client, host, password: str):
    payload = {"subdomain": host.fqdn, "txt": secrets.token_urlsafe(32)}
    return client.post(
        "/acme-dns/update",
        json.dumps(payload),
        content_type="application/json",
        HTTP_X_API_USER=host.fqdn,
        HTTP_X_API_KEY=password,
    )


def test_acme_httpreq_answers_429_with_retry_after(make_host):
    host, secret = make_host()
    attacker = from_address(ATTACKER)
    for _ in range(LIMIT):
        assert present(attacker, host, "wrong-" + secret).status_code == 401

    response = present(attacker, host, secret)

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 600
    assert "too many failed authentications" in response.json()["error"]
    assert present(from_address(NEIGHBOUR), host, secret).status_code == 200


def test_acme_dns_answers_429_in_its_own_words(make_host):
    host, secret = make_host()
    attacker = from_address(ATTACKER)
    for _ in range(LIMIT):
        assert acmedns(attacker, host, "wrong-" + secret).status_code == 401

    response = acmedns(attacker, host, secret)

    assert response.status_code == 429
    assert response.json() == {"error": "too_many_requests"}
    assert response["Retry-After"].isdigit()
    assert acmedns(from_address(NEIGHBOUR), host, secret).status_code == 200


def test_failures_on_one_entry_point_count_for_all(make_host):
    host, secret = make_host()
    attacker = from_address(ATTACKER)
    for _ in range(LIMIT):
        present(attacker, host, "wrong-" + secret)

    assert body(update(attacker, host, secret)) == "abuse\n"
