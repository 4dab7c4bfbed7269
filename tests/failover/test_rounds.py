"""Check rounds: several locations vote, a failing canary abstains, a duplicated tick
checks once, and many groups failing at once trip the circuit breaker."""

import threading

import pytest
from django.core import mail
from django.db import close_old_connections

from failover import services
from failover.models import Event, Probe
from tests.support.groups import Members, check, make_group, served
from tests.support.probe_servers import closed_port

pytestmark = pytest.mark.django_db


def test_two_locations_that_disagree_do_not_move_the_name(domain, alice, bind, members, settings):
    settings.DDNS_CHECK_LOCATIONS = ["north", "south"]
    group = make_group(domain, alice, members, down_threshold=2)
    check(location="north")
    check(location="south")
    members.answer(0, 503)
    check(2, location="north")  # north sees the primary down
    members.answer(0, 200)
    check(2, location="south")  # south sees it up
    assert served(bind, group) == ["192.0.2.21"]
    frozen = Event.objects.filter(group=group, kind="frozen").first()
    assert frozen is not None and "no majority" in frozen.reason
    assert set(frozen.locations) == {"north", "south"}


def test_two_locations_that_agree_move_the_name(domain, alice, bind, members, settings):
    settings.DDNS_CHECK_LOCATIONS = ["north", "south"]
    group = make_group(domain, alice, members, down_threshold=2)
    members.answer(0, 503)
    check(2, location="north")
    assert served(bind, group) == ["192.0.2.21"]  # one location of two is no quorum
    check(2, location="south")
    assert served(bind, group) == ["192.0.2.22"]


def test_a_location_whose_canary_fails_abstains(domain, alice, bind, members, settings):
    group = make_group(domain, alice, members, down_threshold=1)
    check()
    settings.DDNS_CHECK_CANARY = f"127.0.0.1:{closed_port()}"
    members.answer(0, 503)
    check(2)
    assert served(bind, group) == ["192.0.2.21"]
    probe = Probe.objects.get(member__priority=1, member__group=group)
    assert probe.abstained and "reference target failed" in probe.last_reason


@pytest.mark.django_db(transaction=True)
def test_a_duplicated_tick_checks_each_member_once(domain, alice, bind, members):
    make_group(domain, alice, members)
    from django.utils import timezone

    from failover.models import Schedule

    Schedule.objects.update(next_due_at=timezone.now())
    barrier = threading.Barrier(2)
    done = []

    def tick():
        barrier.wait()
        done.append(services.location_check_round(location="default"))
        close_old_connections()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(done) == [0, 3]
    assert members.hits() == 3


def test_many_groups_failing_at_once_trip_the_circuit_breaker(domain, alice, bind, settings):
    settings.ADMINS = [("Ops", "ops@example.org")]
    sets = [Members(2) for _ in range(4)]
    try:
        groups = [make_group(domain, alice, servers, down_threshold=1) for servers in sets]
        check()
        for servers in sets:
            servers.answer(0, 503)
        check()
        moved = [group for group in groups if served(bind, group) == ["192.0.2.22"]]
        assert len(moved) == 2  # the third of four would be more than half
        assert Event.objects.filter(kind="breaker").count() == 2
        assert any("circuit breaker" in message.subject for message in mail.outbox)
    finally:
        for servers in sets:
            servers.stop()
