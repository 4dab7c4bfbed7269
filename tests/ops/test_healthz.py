"""/healthz: each part of the service, up and down, with real named, Redis and database."""

import re
import socket
import statistics
import time

import pytest

from domains import services
from ops import health, heartbeat
from tests.support.bind import make_domain


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def beats_now(broker, worker_age: float = 1.0, beat_age: float = 1.0) -> None:
    now = time.time()
    heartbeat.record(
        broker,
        **{
            heartbeat.WORKER_RAN_AT: now - worker_age,
            heartbeat.BEAT_SENT_AT: now - beat_age,
            heartbeat.QUEUE_LAG: 0.02,
        },
    )


def get_health(client):
    response = client.get("/healthz")
    return response.status_code, response.json()


@pytest.mark.django_db
def test_it_says_ok_when_every_part_is_up(client, domain, broker):
    beats_now(broker)
    status, answer = get_health(client)
    assert status == 200
    assert answer["status"] == "ok", answer
    parts = answer["parts"]
    assert parts["database"]["status"] == "ok"
    assert parts["broker"]["status"] == "ok"
    assert parts["zones"]["dyn.test"]["status"] == "ok"
    assert parts["zones"]["dyn.test"]["detail"].startswith("SOA serial ")
    assert parts["worker"]["status"] == "ok"
    assert re.fullmatch(r"ran a heartbeat \d s ago, queue lag 0\.02 s", parts["worker"]["detail"])
    assert parts["beat"]["status"] == "ok"


@pytest.mark.django_db
def test_a_stopped_primary_degrades_but_does_not_fail(client, domain, private_bind, broker):
    make_domain(private_bind, "locked.test")
    beats_now(broker)
    private_bind.stop()
    status, answer = get_health(client)
    assert status == 200
    assert answer["status"] == "degraded"
    zones = answer["parts"]["zones"]
    assert zones["dyn.test"]["status"] == "ok"
    assert zones["locked.test"] == {"status": "down", "detail": "DNS server unreachable"}


@pytest.mark.django_db
def test_a_zone_that_is_switched_off_is_not_checked(client, domain, private_bind, broker):
    services.domain_set_enabled(domain=make_domain(private_bind, "locked.test"), enabled=False)
    private_bind.stop()
    beats_now(broker)
    status, answer = get_health(client)
    assert (status, answer["status"]) == (200, "ok")
    assert list(answer["parts"]["zones"]) == ["dyn.test"]


@pytest.mark.django_db
def test_an_unreachable_broker_degrades_and_hides_its_address(client, domain, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/3"
    started = time.monotonic()
    status, answer = get_health(client)
    assert time.monotonic() - started < 1.0
    assert status == 200
    assert answer["status"] == "degraded"
    parts = answer["parts"]
    assert parts["broker"] == {"status": "down", "detail": "not answering (ConnectionError)"}
    assert parts["worker"]["status"] == parts["beat"]["status"] == "unknown"
    assert parts["database"]["status"] == parts["zones"]["dyn.test"]["status"] == "ok"


@pytest.mark.django_db
def test_a_broker_that_never_answers_costs_a_fraction_of_a_second(client, domain, settings):
    with socket.socket() as silent:  # the kernel accepts connections; nobody answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{silent.getsockname()[1]}/3"
        started = time.monotonic()
        status, answer = get_health(client)
    assert time.monotonic() - started < 1.0
    assert status == 200
    assert answer["parts"]["broker"] == {"status": "down", "detail": "not answering (TimeoutError)"}


@pytest.mark.django_db
def test_stale_heartbeats_mean_worker_and_beat_are_down(client, domain, broker, settings):
    settings.DDNS_HEARTBEAT_STALE_SECONDS = 30
    beats_now(broker, worker_age=45, beat_age=120)
    status, answer = get_health(client)
    assert (status, answer["status"]) == (200, "degraded")
    assert answer["parts"]["worker"] == {
        "status": "down",
        "detail": "ran a heartbeat 45 s ago (> 30 s)",
    }
    assert answer["parts"]["beat"]["status"] == "down"


@pytest.mark.django_db
def test_missing_heartbeats_mean_never_seen(client, domain, broker):
    _, answer = get_health(client)
    assert answer["parts"]["worker"] == {"status": "down", "detail": "never ran a heartbeat"}
    assert answer["parts"]["beat"] == {"status": "down", "detail": "never sent a heartbeat"}


@pytest.mark.django_db
def test_a_dead_worker_with_a_live_beat_is_told_apart(client, domain, broker, settings):
    settings.DDNS_HEARTBEAT_STALE_SECONDS = 30
    beats_now(broker, worker_age=300, beat_age=2)
    _, answer = get_health(client)
    assert answer["parts"]["worker"]["status"] == "down"
    assert answer["parts"]["beat"]["status"] == "ok"


@pytest.mark.django_db
def test_the_answer_is_reused_within_the_cache_window(
    client, domain, broker, settings, django_assert_num_queries
):
    settings.DDNS_HEALTH_CACHE_SECONDS = 60
    beats_now(broker)
    with django_assert_num_queries(1):  # one read proves the database and lists the zones
        first = get_health(client)
        for _ in range(50):
            assert get_health(client) == first
    broker.delete(heartbeat.KEY)
    health.forget()
    assert get_health(client)[1]["parts"]["worker"]["status"] == "down"


@pytest.mark.django_db
def test_an_answer_with_everything_up_takes_a_few_milliseconds(client, domain, broker):
    beats_now(broker)
    get_health(client)  # connections opened
    took = []
    for _ in range(21):
        health.forget()
        started = time.perf_counter()
        assert health.health()["status"] == "ok"
        took.append(time.perf_counter() - started)
    assert statistics.median(took) < 0.010


@pytest.mark.django_db
def test_it_answers_head_and_refuses_writes(client, domain, broker):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
