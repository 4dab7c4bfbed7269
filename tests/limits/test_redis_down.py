"""When Redis does not answer, limits are skipped: updates keep working, quickly, the
outage is logged once, and nothing answers 500."""

import json
import logging
import socket
import time

import pytest
from rest_framework.test import APIClient

from accounts import tokens
from domains import dns, limits
from tests.support.probe_servers import closed_port
from tests.support.web import basic, body, nic

pytestmark = pytest.mark.django_db

# Well under a connect timeout of the default socket, well over one of DDNS_LIMITS_TIMEOUT.
QUICK = 0.5


@pytest.fixture
def refused_redis(settings):
    """A Redis URL whose port refuses connections."""
    settings.DDNS_LIMITS_REDIS_URL = f"redis://127.0.0.1:{closed_port()}/4"
    limits.reset()


@pytest.fixture
def silent_redis(settings):
    """A Redis URL whose server takes the connection and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0))
    settings.DDNS_LIMITS_REDIS_URL = f"redis://127.0.0.1:{listener.getsockname()[1]}/4"
    limits.reset()
    yield
    listener.close()


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


@pytest.mark.parametrize("down", ["refused_redis", "silent_redis"])
def test_updates_answer_quickly_while_redis_is_down(client, make_host, request, down, caplog):
    request.getfixturevalue(down)
    host, secret = make_host()
    caplog.set_level(logging.WARNING, logger="domains.limits")
    client.get("/myip")  # load the URLs and views first: their import is not the point

    answers = []
    for n in range(1, 11):  # more than the burst: no limit applies
        response, took = timed(lambda n=n: nic(client, host, secret, myip=f"192.0.2.{n}"))
        answers.append(body(response))
        assert took < QUICK, f"update {n} took {took:.3f} s"
    response, took = timed(lambda: nic(client, host, secret, myip="192.0.2.10"))

    assert answers == [f"good 192.0.2.{n}\n" for n in range(1, 11)]
    assert body(response) == "nochg 192.0.2.10\n"
    outage_lines = [r for r in caplog.records if "Redis does not answer" in r.getMessage()]
    assert len(outage_lines) == 1


def test_wrong_credentials_stay_plain_failures_while_redis_is_down(
    client, make_host, refused_redis, settings
):
    settings.DDNS_AUTH_FAILURES_PER_SOURCE = 1
    host, secret = make_host()
    for _ in range(3):
        response = nic(client, host, "wrong-" + secret, myip="192.0.2.5")
        assert response.status_code == 401
        assert body(response) == "badauth\n"

    assert body(nic(client, host, secret, myip="192.0.2.5")) == "good 192.0.2.5\n"


def test_every_entry_point_works_while_redis_is_down(client, make_host, alice, refused_redis):
    host, secret = make_host()
    raw = tokens.token_create(owner=alice, name="script")[1]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    patched = api.patch(f"/api/v1/hosts/{host.pk}/", {"ipv4": "192.0.2.8"}, format="json")
    listed = client.get("/nic/hosts", HTTP_AUTHORIZATION=f"Bearer {raw}")
    challenge = {"fqdn": f"{dns.challenge_name(host.fqdn)}.", "value": "v" * 43}
    presented = client.post(
        "/acme/httpreq/present",
        json.dumps(challenge),
        content_type="application/json",
        HTTP_AUTHORIZATION=basic(host.fqdn, secret),
    )

    assert patched.status_code == 200
    assert listed.status_code == 200
    assert presented.status_code == 200


def test_limits_apply_again_once_redis_answers(client, make_host, settings, limits_redis):
    settings.DDNS_LIMITS_RETRY_SECONDS = 0.2
    settings.DDNS_HOST_UPDATE_BURST = 1
    host, secret = make_host()
    working_url = settings.DDNS_LIMITS_REDIS_URL
    settings.DDNS_LIMITS_REDIS_URL = f"redis://127.0.0.1:{closed_port()}/4"
    assert body(nic(client, host, secret, myip="192.0.2.1")) == "good 192.0.2.1\n"
    assert body(nic(client, host, secret, myip="192.0.2.2")) == "good 192.0.2.2\n"

    settings.DDNS_LIMITS_REDIS_URL = working_url
    time.sleep(0.25)

    assert body(nic(client, host, secret, myip="192.0.2.3")) == "good 192.0.2.3\n"
    assert body(nic(client, host, secret, myip="192.0.2.4")) == "abuse\n"
