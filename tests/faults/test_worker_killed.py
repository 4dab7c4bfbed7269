"""A Celery worker killed (SIGKILL) while it publishes a failover: the next tick, on a new
worker, completes it, with one failover event, and the database and the name server agree."""

import signal
import time

import pytest

from ddns.celery import app
from domains.models import Host
from failover.models import Event, Group, Member
from tests.support import processes
from tests.support.bind import make_domain
from tests.support.dns_proxy import SlowUpdateRelay
from tests.support.groups import make_group, served
from tests.support.processes import service_env, shared_database_url, start_beat, start_worker
from tests.support.redis import start_redis

pytestmark = pytest.mark.django_db(transaction=True)

SLOW_UPDATE_SECONDS = 4.0  # the killed worker is still waiting for this answer
DEADLINE = 30.0


@pytest.fixture
def relay(bind):
    slow = SlowUpdateRelay(bind.port)
    yield slow
    slow.stop()


@pytest.fixture
def group(relay, bind, alice, members, settings):
    settings.DDNS_HA_PRIVATE_TARGETS = True
    app.conf.task_always_eager = True  # nothing from this process reaches a broker
    domain = make_domain(bind, nameserver_port=relay.port)  # the zone's primary is slow
    yield make_group(domain, alice, members, interval=1, down_threshold=2)
    app.conf.task_always_eager = False


@pytest.fixture
def env(tmp_path, group):
    broker = start_redis(tmp_path / "redis")  # its own: no other run's worker takes a tick
    yield service_env(
        tmp_path,
        DATABASE_URL=shared_database_url(),
        CELERY_BROKER_URL=broker.url(0),
        CACHE_URL=broker.url(1),
        DDNS_DNS_TIMEOUT=str(SLOW_UPDATE_SECONDS * 2),
    )
    broker.stop()


def wait_for(condition, deadline: float = DEADLINE) -> bool:
    return processes.wait_for(condition, deadline)


def test_a_failover_cut_short_by_a_killed_worker_completes_once(
    env, group, members, relay, bind, tmp_path
):
    beat = start_beat(env, tmp_path)
    first = start_worker(env, tmp_path, "checks.default", "first")
    try:
        up = Member.objects.filter(group=group, health="up")
        assert wait_for(lambda: up.count() == 2), first.output()  # checked, decided, settled
        before = Event.objects.filter(group=group).order_by("pk").last().pk
        relay.update_delay = SLOW_UPDATE_SECONDS
        members.answer(0, 503)
        assert wait_for(lambda: relay.held >= 1), first.output()
        first.stop(signal.SIGKILL)  # in the middle of publishing the failover

        assert _kinds(group, after=before) == []  # nothing of the cut-short decision stayed
        relay.update_delay = 0.0
        second = start_worker(env, tmp_path, "checks.default", "second")
        try:
            assert wait_for(lambda: "failover" in _kinds(group, after=before)), second.output()
            time.sleep(2.0)  # further rounds change nothing
        finally:
            second.stop()
    finally:
        beat.stop()
        first.stop()

    # Member 0 went down, and the answer moved to member 1: once each.
    assert _kinds(group, after=before) == ["member", "failover"]
    answer = Group.objects.get(pk=group.pk).answer
    assert answer["addresses"] == [members.published(1)]
    assert Host.objects.get(pk=group.host_id).published_set["A"] == [members.published(1)]
    assert served(bind, group) == [members.published(1)]


def _kinds(group, after: int) -> list[str]:
    events = Event.objects.filter(group=group, pk__gt=after).order_by("pk")
    return list(events.values_list("kind", flat=True))
