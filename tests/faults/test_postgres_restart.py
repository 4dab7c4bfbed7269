"""PostgreSQL restarted under load: every request during the outage is answered 503 with
Retry-After (dyndns2 clients read `911`), none hangs, and the same gunicorn processes
answer `good` again once the database is back."""

import json
import time

import httpx
import pytest

from tests.support.load import CONFIRMED, all_answers, start_clients
from tests.support.postgres import start_postgres
from tests.support.processes import child_pids, manage, service_env, start_gunicorn
from tests.support.service_data import seed

CLIENTS = 6
OUTAGE_SECONDS = 3.0
SLOWEST_ANSWER = 5.0  # seconds: no request may hang on the missing database longer
RECOVERY_DEADLINE = 20.0


@pytest.fixture
def postgres():
    server = start_postgres()
    yield server
    server.remove()


@pytest.fixture
def web(postgres, bind, tmp_path):
    env = service_env(tmp_path, DATABASE_URL=postgres.create_database("ddns"))
    manage(env, "migrate", "--noinput", "-v", "0")
    data = seed(env, bind, CLIENTS)
    service = start_gunicorn(env, tmp_path)
    yield service, data, env
    service.stop()


def addresses(i: int) -> list[str]:
    # Two addresses in turn: every confirmed request is a change (DNS and database).
    return [f"192.0.2.{100 + i}", f"198.51.100.{100 + i}"]


def other_endpoints(url: str, data) -> dict[str, httpx.Response]:
    """A portal page (logged in), the REST API and the /nic JSON API."""
    bearer = {"Authorization": f"Bearer {data.token}"}
    with httpx.Client(base_url=url, timeout=SLOWEST_ANSWER) as http:
        return {
            "portal": http.get("/hosts/", headers={"Cookie": f"sessionid={data.session}"}),
            "api": http.get("/api/v1/hosts/", headers=bearer),
            "nic": http.get("/nic/hosts", headers=bearer),
        }


def test_a_database_restart_is_answered_911_and_recovered_without_restarting(web, postgres):
    service, data, env = web
    clients = start_clients(service.url, data.hosts, addresses, cycle=True)
    assert _wait_until_all_confirmed_after(clients, time.monotonic()), service.output()
    pids = child_pids(service)

    postgres.stop()
    stopped = time.monotonic()
    time.sleep(OUTAGE_SECONDS / 2)
    during = other_endpoints(service.url, data)
    time.sleep(OUTAGE_SECONDS / 2)
    starting = time.monotonic()
    postgres.start()
    restarted = time.monotonic()
    recovered = _wait_until_all_confirmed_after(clients, restarted)
    for client in clients:
        client.stop()
    after = other_endpoints(service.url, data)

    answers = all_answers(clients)
    in_outage = [a for a in answers if a.sent >= stopped and a.done <= starting]
    assert len(in_outage) >= CLIENTS, "the clients kept asking during the outage"
    assert {(a.status, a.word, a.retry_after) for a in in_outage} == {(503, "911", "300")}
    assert {(a.status, a.word) for a in answers} <= {(200, "good"), (200, "nochg"), (503, "911")}
    assert max(a.done - a.sent for a in answers) < SLOWEST_ANSWER
    for name, response in during.items():
        assert response.status_code == 503, (name, response.text)
        assert int(response.headers["Retry-After"]) > 0, name
    assert during["api"].json()["error"]["code"] == "database_unavailable"
    assert during["nic"].json()["status"] == "error"
    assert recovered, f"not every client got good/nochg after the restart\n{service.output()}"
    assert child_pids(service) == pids  # the same gunicorn master and workers
    assert {name: r.status_code for name, r in after.items()} == {
        "portal": 200,
        "api": 200,
        "nic": 200,
    }
    report = json.loads(manage(env, "reconcile", "--dry-run", "--json"))
    assert report["differences"] == 0, report


def _wait_until_all_confirmed_after(clients, since: float) -> bool:
    deadline = time.monotonic() + RECOVERY_DEADLINE
    while time.monotonic() < deadline:
        if all(
            any(a.sent >= since and a.word in CONFIRMED for a in list(c.answers)) for c in clients
        ):
            return True
        time.sleep(0.1)
    return False
