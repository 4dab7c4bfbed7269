"""The text /metrics serves: the instruments of domains.metrics, summed over every process
under gunicorn, and the broker's state read at scrape time.

With PROMETHEUS_MULTIPROC_DIR set (gunicorn.conf.py sets it), every process writes its
values to files there and each scrape sums them; without it (runserver, tests) this
process's own values are served.
"""

import os
from collections.abc import Iterable, Iterator

import redis
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ops import heartbeat

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def metrics_text() -> bytes:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(BrokerCollector())
    return generate_latest(registry)


class _ThisProcess(Collector):
    def collect(self) -> Iterable:
        return REGISTRY.collect()


class BrokerCollector(Collector):
    """Celery's queues and heartbeats, as Redis holds them now: one round trip per scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("ddns_broker_up", "1 when the broker's Redis answered this scrape")
        client = heartbeat.broker_redis()
        try:
            beats = heartbeat.read(client) if client is not None else None
        except (redis.RedisError, OSError):
            beats = None
        up.add_metric([], 1.0 if beats is not None else 0.0)
        yield up
        if beats is not None:
            yield from _queue_families(beats)


def _queue_families(beats: heartbeat.Beats) -> Iterator[GaugeMetricFamily]:
    lengths = GaugeMetricFamily(
        "ddns_celery_queue_length", "Messages waiting in a Celery queue", labels=["queue"]
    )
    for queue, length in beats.queue_lengths.items():
        lengths.add_metric([queue], float(length))
    yield lengths
    if beats.queue_lag is not None:
        yield GaugeMetricFamily(
            "ddns_celery_queue_lag_seconds",
            "How long the last heartbeat waited in the default queue before a worker ran it",
            value=beats.queue_lag,
        )
    ages = GaugeMetricFamily(
        "ddns_heartbeat_age_seconds",
        "Seconds since beat last sent, or a worker last ran, a heartbeat",
        labels=["part"],
    )
    for part, at in (("beat", beats.beat_sent_at), ("worker", beats.worker_ran_at)):
        age = heartbeat.age(at)
        if age is not None:
            ages.add_metric([part], age)
    yield ages
