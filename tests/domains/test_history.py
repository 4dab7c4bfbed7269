"""Update history: one row per change, pruned after the retention period by a Celery task."""

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from ddns.celery import app
from domains import services, tasks
from domains.models import UpdateEvent
from tests.support.web import nic


@pytest.mark.django_db
def test_prune_removes_only_rows_past_retention(client, make_host, settings):
    settings.DDNS_HISTORY_RETENTION_DAYS = 30
    host, secret = make_host()
    nic(client, host, secret, myip="192.0.2.100")
    nic(client, host, secret, myip="192.0.2.101")
    old = UpdateEvent.objects.filter(host=host).order_by("id").first()
    UpdateEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    assert services.history_prune() == 1
    assert list(UpdateEvent.objects.filter(host=host).values_list("new_address", flat=True)) == [
        "192.0.2.101"
    ]


@pytest.mark.django_db(transaction=True)
def test_the_prune_task_runs_on_a_worker_through_redis(make_host, settings):
    settings.DDNS_HISTORY_RETENTION_DAYS = 1
    host, _ = make_host()
    event = UpdateEvent.objects.create(
        host=host, family="A", new_address="192.0.2.102", result="good"
    )
    UpdateEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(days=2))
    # A real worker thread consuming from the Redis broker in settings.
    with start_worker(app, perform_ping_check=False, pool="solo", concurrency=1):
        tasks.prune_history.delay()
        deadline = timezone.now() + timedelta(seconds=20)
        while UpdateEvent.objects.filter(pk=event.pk).exists() and timezone.now() < deadline:
            time.sleep(0.05)
    assert not UpdateEvent.objects.filter(pk=event.pk).exists()
