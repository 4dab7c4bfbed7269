"""The per-host update limit: a bucket of DDNS_HOST_UPDATE_BURST updates that refills by
DDNS_HOST_UPDATES_PER_MINUTE. dyndns2 answers `abuse` (200), the REST API 429 with
Retry-After (docs/protocol.md, docs/abuse.md)."""

import time

import pytest
from rest_framework.test import APIClient

from accounts import tokens
from tests.support.web import basic, body, nic

pytestmark = pytest.mark.django_db


def address(n: int) -> str:
    return f"192.0.2.{n}"


def test_updates_past_the_burst_answer_abuse_and_change_nothing(client, make_host, bind):
    host, secret = make_host()
    for n in range(1, 7):  # the default burst: six changes at once
        response = nic(client, host, secret, myip=address(n))
        assert body(response) == f"good {address(n)}\n"

    response = nic(client, host, secret, myip=address(99))

    assert response.status_code == 200
    assert body(response) == "abuse\n"
    assert bind.lookup(host.fqdn, "A") == [address(6)]
    host.refresh_from_db()
    assert host.ipv4 == address(6) and not host.abuse  # limited, not flagged


def test_other_hosts_are_not_limited_by_a_busy_one(client, make_host):
    busy, busy_secret = make_host()
    quiet, quiet_secret = make_host()
    for n in range(1, 8):
        nic(client, busy, busy_secret, myip=address(n))

    assert body(nic(client, busy, busy_secret, myip=address(50))) == "abuse\n"
    assert body(nic(client, quiet, quiet_secret, myip=address(51))) == f"good {address(51)}\n"


def test_the_bucket_refills(client, make_host, settings):
    settings.DDNS_HOST_UPDATE_BURST = 1
    settings.DDNS_HOST_UPDATES_PER_MINUTE = 600  # one more every 0.1 s
    host, secret = make_host()
    assert body(nic(client, host, secret, myip=address(1))) == f"good {address(1)}\n"
    assert body(nic(client, host, secret, myip=address(2))) == "abuse\n"
    time.sleep(0.15)

    assert body(nic(client, host, secret, myip=address(3))) == f"good {address(3)}\n"


def test_a_token_update_takes_from_the_same_bucket(client, make_host, alice):
    host, secret = make_host()
    _token, raw = tokens.token_create(owner=alice, name="router")
    for n in range(1, 7):
        nic(client, host, secret, myip=address(n))

    response = client.get(
        "/nic/update",
        {"hostname": host.fqdn, "myip": address(60)},
        HTTP_AUTHORIZATION=basic("alice", raw),
    )

    assert response.status_code == 200
    assert body(response) == "abuse\n"


def test_deleting_a_record_counts_as_an_update(client, make_host):
    host, secret = make_host()
    for n in range(1, 7):
        nic(client, host, secret, myip=address(n))

    response = nic(client, host, secret, path="/nic/delete", myip="0.0.0.0")

    assert body(response) == "abuse\n"
    host.refresh_from_db()
    assert host.ipv4 == address(6)


def test_the_rest_api_answers_429_with_retry_after(make_host, alice):
    host, _secret = make_host()
    _token, raw = tokens.token_create(owner=alice, name="script")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    for n in range(1, 7):
        response = api.patch(f"/api/v1/hosts/{host.pk}/", {"ipv4": address(n)}, format="json")
        assert response.status_code == 200, response.content

    response = api.patch(f"/api/v1/hosts/{host.pk}/", {"ipv4": address(70)}, format="json")

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    error = response.json()["error"]
    assert error["code"] == "throttled"
    assert host.fqdn in error["message"]
    host.refresh_from_db()
    assert host.ipv4 == address(6)


def test_a_comment_change_through_the_api_is_not_limited(make_host, alice):
    host, _secret = make_host()
    _token, raw = tokens.token_create(owner=alice, name="script")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    for n in range(10):
        response = api.patch(f"/api/v1/hosts/{host.pk}/", {"comment": f"c{n}"}, format="json")
        assert response.status_code == 200
