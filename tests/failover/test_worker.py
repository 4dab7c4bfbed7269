"""The checks run on a real Celery worker, fed every second by a real beat, over Redis."""

import os
import subprocess
import sys
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings

from ddns.celery import app
from tests.support.groups import make_group, served

DEADLINE = 20.0


@pytest.fixture
def beat(tmp_path):
    """`celery beat` in its own process: it only sends the schedule's messages to Redis."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ddns.settings"}
    env["CELERY_BROKER_URL"] = django_settings.CELERY_BROKER_URL
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "ddns", "beat", "--loglevel=warning",
         f"--schedule={tmp_path / 'beat-schedule'}", f"--pidfile={tmp_path / 'beat.pid'}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    yield process
    process.terminate()
    process.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_a_worker_fed_by_beat_fails_the_name_over(domain, alice, bind, members, beat, settings):
    settings.DDNS_HA_PRIVATE_TARGETS = True
    app.conf.task_always_eager = False
    group = make_group(domain, alice, members, down_threshold=2, interval=1)
    members.answer(0, 503)
    with start_worker(
        app, perform_ping_check=False, pool="solo", concurrency=1, queues=["checks.default"]
    ):
        deadline = time.monotonic() + DEADLINE
        while served(bind, group) != ["192.0.2.22"] and time.monotonic() < deadline:
            time.sleep(0.2)
    assert served(bind, group) == ["192.0.2.22"], beat.stderr and beat.poll()
    assert members.hits() >= 2
