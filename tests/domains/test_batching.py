"""Group commit: concurrent changes to one zone go as one RFC 2136 message and one commit,
and each request still hears "changed" only once BIND has it and the database keeps it.

Each request runs on a thread of its own with its own database connection, as requests
do under gunicorn's threaded workers; the answers are read back from the real named.
"""

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection

from domains import names, services
from domains.models import Domain, Host, UpdateEvent
from domains.services import batch
from tests.support.bind import make_domain, unique_label

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT = services.ClientInfo(source="198.51.100.7", user_agent="batch-test", tls=False)


@pytest.fixture(autouse=True)
def _wide_window(settings):
    # Wide enough that every thread a test starts joins the first batch.
    settings.DDNS_BATCH_WINDOW_MS = 400


def in_threads(calls: list[Callable[[], object]], gap: float = 0.0) -> list[object]:
    """Run each call on its own thread (started `gap` s apart); results or exceptions."""
    outcomes: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            outcomes[index] = call()
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()  # each thread's own connection

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
        time.sleep(gap)
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive(), "a request never got its answer"
    return outcomes


def update(host: Host, address: str) -> Callable[[], object]:
    return lambda: services.host_update_addresses(
        host=host, addresses=names.Addresses.of(address), client=CLIENT
    )


def hosts_in(domain: Domain, owner, count: int) -> list[Host]:
    return [
        services.host_register(domain=domain, label=unique_label("batch"), owner=owner)[0]
        for _ in range(count)
    ]


def test_several_hosts_changed_at_once_go_as_one_batch(domain, alice, bind):
    hosts = hosts_in(domain, alice, 8)
    addresses = [f"192.0.2.{100 + i}" for i in range(len(hosts))]

    outcomes = in_threads([update(h, a) for h, a in zip(hosts, addresses, strict=True)])

    assert outcomes == [True] * len(hosts)
    for host, address in zip(hosts, addresses, strict=True):
        host.refresh_from_db()
        assert host.ipv4 == address
        assert host.ipv4_source == CLIENT.source
        assert bind.lookup(host.fqdn) == [address]
    events = UpdateEvent.objects.filter(host__in=hosts)
    assert sorted(events.values_list("host_id", flat=True)) == sorted(h.pk for h in hosts)
    assert set(events.values_list("result", flat=True)) == {"good"}
    # One batch: one commit, whose rows share one timestamp.
    assert events.values("created_at").distinct().count() == 1


def test_the_later_of_two_changes_of_one_host_in_a_batch_wins(domain, alice, bind):
    (host,) = hosts_in(domain, alice, 1)

    outcomes = in_threads([update(host, "192.0.2.121"), update(host, "192.0.2.122")], gap=0.05)

    assert outcomes == [True, True]
    host.refresh_from_db()
    assert host.ipv4 == "192.0.2.122"
    assert bind.lookup(host.fqdn) == ["192.0.2.122"]
    history = UpdateEvent.objects.filter(host=host).order_by("id")
    assert [(e.old_address, e.new_address) for e in history] == [
        (None, "192.0.2.121"),
        ("192.0.2.121", "192.0.2.122"),
    ]
    assert history.values("created_at").distinct().count() == 1


def test_the_same_address_twice_in_a_batch_is_one_change(domain, alice, bind):
    (host,) = hosts_in(domain, alice, 1)

    outcomes = in_threads([update(host, "192.0.2.123"), update(host, "192.0.2.123")], gap=0.05)

    assert outcomes == [True, False]  # good, then nochg: the first one set it
    assert UpdateEvent.objects.filter(host=host).count() == 1
    assert bind.lookup(host.fqdn) == ["192.0.2.123"]


def test_a_failed_message_fails_every_change_in_the_batch_and_stores_nothing(private_bind, alice):
    domain = make_domain(private_bind)
    hosts = hosts_in(domain, alice, 4)
    for i, host in enumerate(hosts):
        assert update(host, f"192.0.2.{130 + i}")() is True
    private_bind.stop()

    outcomes = in_threads([update(h, f"198.51.100.{130 + i}") for i, h in enumerate(hosts)])

    assert all(isinstance(o, services.DnsFailure) for o in outcomes), outcomes
    for i, host in enumerate(hosts):
        host.refresh_from_db()
        assert host.ipv4 == f"192.0.2.{130 + i}"
        assert host.server_faults == 1
        failed = UpdateEvent.objects.get(host=host, result__startswith="dnserr")
        assert failed.new_address == f"198.51.100.{130 + i}"
        assert not UpdateEvent.objects.filter(host=host, new_address=failed.new_address).exclude(
            pk=failed.pk
        )
    domain.refresh_from_db()
    assert domain.available is False
    private_bind.start()
    for i, host in enumerate(hosts):
        assert private_bind.lookup(host.fqdn) == [f"192.0.2.{130 + i}"]


def test_two_committers_locking_the_same_hosts_never_deadlock(domain, alice, bind):
    """As two web processes would: each gathers its own batches of the same hosts."""
    hosts = hosts_in(domain, alice, 6)
    committers = [batch.ZoneCommitter(domain.pk), batch.ZoneCommitter(domain.pk)]

    def change(committer: batch.ZoneCommitter, host: Host, address: str) -> Callable:
        pending = batch.PendingChange(Host.objects.get(pk=host.pk), {"A": address}, CLIENT, "good")
        return lambda: committer.submit(pending)

    for round_ in range(3):
        calls = []
        # One committer's batch names the hosts in one order, the other's in reverse.
        for i, host in enumerate(hosts):
            calls.append(change(committers[0], host, f"192.0.2.{10 * round_ + i + 1}"))
            calls.append(change(committers[1], hosts[-1 - i], f"198.51.100.{10 * round_ + i + 1}"))
        outcomes = in_threads(calls)
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    for host in hosts:
        host.refresh_from_db()
        assert bind.lookup(host.fqdn) == [host.ipv4]


def test_a_change_of_a_deleted_host_fails_alone(domain, alice, bind):
    kept, deleted = hosts_in(domain, alice, 2)
    stale = Host.objects.get(pk=deleted.pk)
    services.host_delete(host=deleted)

    outcomes = in_threads([update(kept, "192.0.2.141"), update(stale, "192.0.2.142")])

    assert outcomes[0] is True
    assert isinstance(outcomes[1], Host.DoesNotExist)
    assert bind.lookup(kept.fqdn) == ["192.0.2.141"]
    assert bind.lookup(stale.fqdn) == []


def test_when_the_batch_breaks_every_waiting_request_hears_it(domain, alice, monkeypatch):
    hosts = hosts_in(domain, alice, 3)

    def broken(changes):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(batch, "_lock_rows", broken)
    started = time.monotonic()
    outcomes = in_threads([update(h, "192.0.2.150") for h in hosts])

    assert all(isinstance(o, RuntimeError) for o in outcomes), outcomes
    assert time.monotonic() - started < 5


def test_a_full_batch_goes_at_once_and_the_rest_follow_in_order(domain, alice, bind, settings):
    settings.DDNS_BATCH_MAX = 2
    (host,) = hosts_in(domain, alice, 1)
    addresses = [f"192.0.2.{160 + i}" for i in range(5)]

    started = time.monotonic()
    outcomes = in_threads([update(host, a) for a in addresses], gap=0.02)

    assert outcomes == [True] * 5
    assert time.monotonic() - started < 2  # three windows at most, not five
    history = UpdateEvent.objects.filter(host=host).order_by("id")
    assert [e.new_address for e in history] == addresses
    assert history.values("created_at").distinct().count() == 3
    host.refresh_from_db()
    assert host.ipv4 == addresses[-1]
    assert bind.lookup(host.fqdn) == [addresses[-1]]
