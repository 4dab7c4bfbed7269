"""Redis (broker, cache and limits) stops: dyndns2 updates and the portal keep working,
health checks pause and /healthz says the broker is degraded; Redis comes back: the same
worker and beat resume the checks."""

import re
import time

import httpx
import pytest

from ddns.celery import app
from tests.support import processes
from tests.support.accounts import PASSWORD, verified_user
from tests.support.groups import make_group
from tests.support.processes import (
    service_env,
    shared_database_url,
    start_beat,
    start_gunicorn,
    start_worker,
)
from tests.support.redis import start_redis
from tests.support.web import basic

pytestmark = pytest.mark.django_db(transaction=True)

OUTAGE_SECONDS = 3.0
DEADLINE = 40.0  # a worker retries its broker connection with growing pauses


@pytest.fixture
def redis_server(tmp_path):
    server = start_redis(tmp_path / "redis")
    yield server
    server.stop()


@pytest.fixture
def group(domain, alice, members, settings):
    settings.DDNS_HA_PRIVATE_TARGETS = True
    app.conf.task_always_eager = True  # nothing from this process reaches a broker
    yield make_group(domain, alice, members, interval=1)
    app.conf.task_always_eager = False


@pytest.fixture
def stack(redis_server, group, tmp_path):
    """gunicorn, a worker and beat, with Redis as broker, cache and limits store."""
    env = service_env(
        tmp_path,
        DATABASE_URL=shared_database_url(),
        CELERY_BROKER_URL=redis_server.url(0),
        CACHE_URL=redis_server.url(1),
        DDNS_LIMITS_REDIS_URL=redis_server.url(2),
        DDNS_HOST_UPDATE_BURST="1000",
        DDNS_HEARTBEAT_SECONDS="1",
    )
    services = {
        "web": start_gunicorn(env, tmp_path),
        "worker": start_worker(env, tmp_path, "celery,checks.default", "checker"),
        "beat": start_beat(env, tmp_path),
    }
    yield services
    for service in services.values():
        service.stop()


def wait_for(condition, deadline: float = DEADLINE) -> bool:
    return processes.wait_for(condition, deadline)


def update(url: str, host, secret: str, address: str) -> str:
    headers = {"Authorization": basic(host.fqdn, secret)}
    params = {"hostname": host.fqdn, "myip": address}
    return httpx.get(f"{url}/nic/update", params=params, headers=headers, timeout=10).text.strip()


def log_in_and_list_hosts(url: str) -> httpx.Response:
    with httpx.Client(base_url=url, timeout=10, follow_redirects=True) as browser:
        page = browser.get("/accounts/login/").text
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert csrf, page[:500]
        form = {"login": "carol", "password": PASSWORD, "csrfmiddlewaretoken": csrf[1]}
        browser.post("/accounts/login/", data=form, headers={"Referer": f"{url}/accounts/login/"})
        return browser.get("/hosts/")


def healthz(url: str) -> dict:
    answer = httpx.get(f"{url}/healthz", timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def health_without_broker(url: str, deadline: float = 5.0) -> dict | None:
    """The first /healthz answer that noticed the broker is gone (each web process keeps
    its answer for a second, so one may still say what it saw before)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        answer = healthz(url)
        if answer["parts"]["broker"]["status"] != "ok":
            return answer
        time.sleep(0.1)
    return None


def broker_status(url: str) -> str:
    return healthz(url)["parts"]["broker"]["status"]


def test_a_redis_outage_pauses_checks_only(
    stack, redis_server, members, make_host, django_user_model
):
    carol = verified_user(django_user_model, "carol")
    host, secret = make_host(owner=carol)
    web, worker, beat = stack["web"], stack["worker"], stack["beat"]
    assert wait_for(lambda: members.hits() >= 4), worker.output()
    assert wait_for(lambda: broker_status(web.url) == "ok", 10)

    redis_server.stop()
    stopped = time.monotonic()
    assert update(web.url, host, secret, "192.0.2.201") == "good 192.0.2.201"
    assert update(web.url, host, secret, "192.0.2.201") == "nochg 192.0.2.201"
    hosts_page = log_in_and_list_hosts(web.url)
    assert hosts_page.status_code == 200 and host.fqdn in hosts_page.text, web.output()
    fresh = health_without_broker(web.url)
    assert fresh is not None and fresh["status"] == "degraded", fresh  # updates still work
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))
    paused = members.hits()
    time.sleep(1.5)
    assert members.hits() <= paused + len(members.servers)  # at most a round in flight

    redis_server.start()
    assert wait_for(lambda: members.hits() >= paused + 6), worker.output()
    assert worker.process.poll() is None and beat.process.poll() is None  # never restarted
    assert wait_for(lambda: broker_status(web.url) == "ok", 10)
    assert update(web.url, host, secret, "192.0.2.202") == "good 192.0.2.202"
