"""The heartbeat: beat stamps and records each one it sends, the worker records running it."""

import logging
import time
from typing import Any

import redis
from celery import shared_task
from celery.signals import before_task_publish

from ops import heartbeat as beats

logger = logging.getLogger(__name__)

HEARTBEAT_TASK = "ops.tasks.heartbeat"


@shared_task(bind=True, ignore_result=True)
def heartbeat(self) -> None:
    """Record that a worker ran now, and how long the message waited in the queue."""
    now = time.time()
    values = {beats.WORKER_RAN_AT: now}
    sent_at = getattr(self.request, beats.SENT_HEADER, None)
    if isinstance(sent_at, int | float):
        values[beats.QUEUE_LAG] = max(0.0, now - sent_at)
    client = beats.broker_redis()
    if client is not None:
        beats.record(client, **values)


@before_task_publish.connect(sender=HEARTBEAT_TASK)
def stamp_heartbeat(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """In the sender (beat): stamp the message and record that beat is alive."""
    now = time.time()
    if headers is not None:
        headers[beats.SENT_HEADER] = now
    client = beats.broker_redis()
    if client is None:
        return
    try:
        beats.record(client, **{beats.BEAT_SENT_AT: now})
    except redis.RedisError as error:
        # The publish itself will fail and say so; the heartbeat must not hide why.
        logger.warning("could not record the beat heartbeat: %s", error)
