"""The zone's primary stops during a burst of updates, and comes back: clients read
`dnserr` meanwhile, the database keeps exactly what the server applied, and the
reconciler with the clients' retries leaves no host differing. A server restored from an
old copy of its zone is brought back to the database by the reconciler."""

import shutil
import time

import pytest

from domains import dns, reconcile, services
from domains.models import Host
from tests.support import processes
from tests.support.bind import make_domain, unique_label
from tests.support.load import CONFIRMED, all_answers, start_clients
from tests.support.processes import service_env, shared_database_url, start_gunicorn

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 8
ADDRESSES_PER_CLIENT = 40
DEADLINE = 30.0


@pytest.fixture
def zone(private_bind, alice):
    domain = make_domain(private_bind)
    hosts = {}
    for _ in range(CLIENTS):
        host, secret = services.host_register(domain=domain, label=unique_label(), owner=alice)
        hosts[host.fqdn] = secret
    return domain, hosts


@pytest.fixture
def web(zone, tmp_path):
    service = start_gunicorn(service_env(tmp_path, DATABASE_URL=shared_database_url()), tmp_path)
    yield service
    service.stop()


def addresses(i: int) -> list[str]:
    return [f"10.{i}.{k}.1" for k in range(ADDRESSES_PER_CLIENT)]


def published(bind, domain) -> dict[str, str | None]:
    """Each host's A record as the server holds it (one zone transfer)."""
    records = dns.read_addresses(bind.server())
    return {
        fqdn: next(iter(records.get(fqdn, {}).get("A", [])), None)
        for fqdn in Host.objects.filter(domain=domain).values_list("fqdn", flat=True)
    }


def stored(domain) -> dict[str, str | None]:
    return dict(Host.objects.filter(domain=domain).values_list("fqdn", "ipv4"))


def wait_for(condition, deadline: float = DEADLINE) -> bool:
    return processes.wait_for(condition, deadline)


def test_a_primary_stopped_mid_burst_loses_nothing_and_converges(zone, web, private_bind):
    domain, hosts = zone
    clients = start_clients(web.url, hosts, addresses, interval=0.03)
    assert wait_for(lambda: all(len(c.answers) >= 8 for c in clients)), web.output()

    private_bind.stop()
    stopped = time.monotonic()
    refused = lambda c: any(a.sent >= stopped and a.word == "dnserr" for a in list(c.answers))  # noqa: E731
    assert wait_for(lambda: all(refused(c) for c in clients), 10), web.output()
    for client in clients:
        client.holding.set()
    time.sleep(0.3)  # answers in flight arrive
    # The database kept the last change the server took: what each client was told.
    assert stored(domain) == {c.fqdn: c.confirmed for c in clients}

    private_bind.start()
    server_had = published(private_bind, domain)
    in_flight = {c.fqdn: c.answers[-1].address for c in clients}
    # The server restarts with what it applied: the database's state, or (when the answer
    # was lost as it went down) the change the client was just told failed.
    for fqdn, address in server_had.items():
        assert address in (stored(domain)[fqdn], in_flight[fqdn]), fqdn
    for client in clients:
        client.holding.clear()
    assert wait_for(lambda: all(c.finished() for c in clients)), web.output()
    reconcile.domain_reconcile(domain=domain)

    answers = all_answers(clients)
    # dnserr keeps HTTP 200 (docs/protocol.md): clients read the word and retry.
    assert {(a.status, a.word) for a in answers} <= {(200, "good"), (200, "nochg"), (200, "dnserr")}
    assert sum(a.word == "dnserr" for a in answers) >= CLIENTS
    assert {c.confirmed for c in clients} == {addresses(i)[-1] for i in range(CLIENTS)}
    assert stored(domain) == {c.fqdn: c.confirmed for c in clients}
    assert published(private_bind, domain) == stored(domain)  # zero hosts differ
    assert reconcile.zone_plan(domain=domain).differences == 0
    assert any(a.word in CONFIRMED and a.sent > stopped for a in answers)


def test_a_primary_restored_from_an_old_copy_is_repaired(private_bind, alice, tmp_path):
    domain = make_domain(private_bind)
    hosts = [
        services.host_register(domain=domain, label=unique_label(), owner=alice)[0]
        for _ in range(6)
    ]
    for i, host in enumerate(hosts):
        _publish(host, f"10.9.{i}.1")
    private_bind.stop()
    backup = tmp_path / "backup"
    backup.mkdir()
    for path in private_bind.directory.glob("dyn.test.zone*"):
        shutil.copy(path, backup / path.name)  # the nightly copy: zone file and journal
    private_bind.start()
    for i, host in enumerate(hosts[:3]):
        _publish(host, f"10.9.{i}.2")  # changed after the copy was taken

    private_bind.stop()
    for path in private_bind.directory.glob("dyn.test.zone*"):
        path.unlink()
    for path in backup.iterdir():
        shutil.copy(path, private_bind.directory / path.name)
    private_bind.start()
    assert published(private_bind, domain)[hosts[0].fqdn] == "10.9.0.1"  # the old state

    plan = reconcile.zone_plan(domain=domain)
    assert sorted(r.fqdn for r in plan.rewrite) == sorted(h.fqdn for h in hosts[:3])
    repairs = reconcile.domain_reconcile(domain=domain)

    assert len(repairs) == 3
    assert published(private_bind, domain) == stored(domain)
    assert reconcile.zone_plan(domain=domain).differences == 0


def _publish(host, address: str) -> None:
    from domains import names

    client = services.ClientInfo(source=None, user_agent="test", tls=False)
    services.host_update_addresses(
        host=host, addresses=names.Addresses(address, None), client=client
    )
