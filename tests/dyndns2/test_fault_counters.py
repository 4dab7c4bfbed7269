"""Fault counters under concurrency: a burst of bad requests through a real HTTP server.

Each request is served by its own thread with its own database connection, as in
production, so a read-modify-write counter would lose increments and a writer that
cannot get the SQLite lock would fail the request.
"""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 32


def hammer(url: str, count: int, **request) -> Counter[tuple[int, str]]:
    """Send the same GET `count` times from WORKERS threads at once.

    Returns how many answers of each (status, body) came back: one line to read when an
    assertion fails.
    """

    def one(_):
        # Connection: close, as ddclient and inadyn do. The live server keeps a request's
        # database connection until the client hangs up, so keep-alive sockets held open by
        # the test would exhaust PostgreSQL's max_connections (100) long before 200 requests.
        headers = {"Connection": "close"}
        with requests.get(url, timeout=60, headers=headers, **request) as response:
            return response.status_code, response.text

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return Counter(pool.map(one, range(count)))


def test_concurrent_wrong_secrets_are_all_counted(live_server, make_host, bind, settings):
    # About counting faults, not about refusing a source that keeps failing.
    settings.DDNS_AUTH_FAILURES_PER_SOURCE = 1_000
    host, secret = make_host()
    answers = hammer(
        f"{live_server.url}/nic/update",
        200,
        params={"myip": "192.0.2.90"},
        auth=(host.fqdn, secret + "-wrong"),
    )
    assert answers == {(401, "badauth\n"): 200}
    host.refresh_from_db()
    assert host.auth_faults == 200
    assert host.auth_fault_message == "wrong secret"
    assert host.ipv4 is None
    assert bind.lookup(host.fqdn, "A") == []


def test_concurrent_bad_addresses_are_all_counted(live_server, make_host, bind):
    host, secret = make_host()
    answers = hammer(
        f"{live_server.url}/nic/update",
        100,
        params={"myip": "not-an-ip"},
        auth=(host.fqdn, secret),
    )
    # A refused address is the client's fault: dnserr (which clients retry) with HTTP 400.
    assert answers == {(400, "dnserr\n"): 100}
    host.refresh_from_db()
    assert host.client_faults == 100
    assert "not an IP address" in host.client_fault_message
    assert host.auth_faults == 0
    assert bind.lookup(host.fqdn, "A") == []
