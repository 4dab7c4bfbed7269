"""Worker and beat heartbeats through a real `celery beat` and a real worker over Redis."""

import time

import pytest

from ops import health
from tests.ops.conftest import BROKER_URL
from tests.support.processes import service_env, start_beat, start_worker

DEADLINE = 30.0


def parts(client) -> dict:
    health.forget()
    return client.get("/healthz").json()["parts"]


def wait_for(client, predicate, services) -> dict:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        current = parts(client)
        if predicate(current):
            return current
        time.sleep(0.2)
    logs = "\n".join(service.output() for service in services)
    raise AssertionError(f"health never became as expected: {current}\n{logs}")


@pytest.mark.django_db
def test_beat_and_a_worker_keep_their_heartbeats_and_a_dead_worker_shows(
    client, tmp_path, settings, broker
):
    (tmp_path / "var").mkdir()
    env = service_env(tmp_path, CELERY_BROKER_URL=BROKER_URL, DDNS_HEARTBEAT_SECONDS="1")
    beat = start_beat(env, tmp_path)
    worker = start_worker(env, tmp_path, "celery", "ops-heartbeat")
    try:
        up = wait_for(
            client,
            lambda p: p["worker"]["status"] == "ok" and p["beat"]["status"] == "ok",
            [beat, worker],
        )
        assert "queue lag" in up["worker"]["detail"]
        worker.stop()
        settings.DDNS_HEARTBEAT_STALE_SECONDS = 3
        down = wait_for(client, lambda p: p["worker"]["status"] == "down", [beat, worker])
        assert down["beat"]["status"] == "ok"  # beat goes on sending: only the worker is gone
    finally:
        worker.stop()
        beat.stop()
