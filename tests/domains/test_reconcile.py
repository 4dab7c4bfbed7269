"""The reconciler brings a drifted name server back to the database's state."""

import pytest

from domains import dns, names, reconcile, services, tasks
from domains.models import Domain
from tests.support.bind import make_domain, unique_label

pytestmark = pytest.mark.django_db

CLIENT = services.ClientInfo(source=None, user_agent="test", tls=False)


def publish(host, ipv4=None, ipv6=None):
    services.host_update_addresses(host=host, addresses=names.Addresses(ipv4, ipv6), client=CLIENT)


def test_drifted_records_are_rewritten_from_the_database(make_host, domain, bind):
    changed, _ = make_host()
    removed, _ = make_host()
    untouched, _ = make_host()
    publish(changed, "192.0.2.150", "2001:db8::150")
    publish(removed, "192.0.2.151")
    publish(untouched, "192.0.2.152")
    # Someone edits the server by hand: a wrong address, a deleted record, an extra record.
    dns.replace_addresses(bind.server(), changed.fqdn, {"A": "198.51.100.1"}, 60)
    dns.delete_names(bind.server(), [removed.fqdn])

    repairs = reconcile.domain_reconcile(domain=domain)

    assert {r.fqdn for r in repairs} == {changed.fqdn, removed.fqdn}
    assert bind.lookup(changed.fqdn, "A") == ["192.0.2.150"]
    assert bind.lookup(changed.fqdn, "AAAA") == ["2001:db8::150"]
    assert bind.lookup(removed.fqdn, "A") == ["192.0.2.151"]
    assert reconcile.domain_reconcile(domain=domain) == []


def test_records_of_a_host_without_addresses_are_removed(make_host, domain, bind):
    host, _ = make_host()
    dns.replace_addresses(bind.server(), host.fqdn, {"AAAA": "2001:db8::153"}, 60)
    reconcile.domain_reconcile(domain=domain)
    assert bind.lookup(host.fqdn, "AAAA") == []


def test_a_restarted_empty_server_converges(private_bind, alice):
    domain = make_domain(private_bind)
    host, _ = services.host_register(domain=domain, label=unique_label(), owner=alice)
    publish(host, "192.0.2.154")
    private_bind.stop()
    for leftover in private_bind.directory.glob("dyn.test.zone*"):
        leftover.unlink()  # the server comes back from an empty zone file
    private_bind.start()
    assert private_bind.lookup(host.fqdn) == []
    assert tasks.reconcile_zones() >= 1
    assert private_bind.lookup(host.fqdn) == ["192.0.2.154"]


def test_an_unreachable_zone_is_marked_and_others_go_on(make_host, domain, bind, settings):
    from devtools import named

    broken = make_domain(bind, name="absent.test", nameserver_port=named.free_port())
    host, _ = make_host()
    publish(host, "192.0.2.155")
    dns.delete_names(bind.server(), [host.fqdn])
    tasks.reconcile_zones()
    assert bind.lookup(host.fqdn) == ["192.0.2.155"]
    assert Domain.objects.get(pk=broken.pk).available is False


def test_the_reconcile_command_marks_an_unreachable_zone(bind, db):
    from django.core.management import CommandError, call_command

    from devtools import named

    broken = make_domain(bind, name="absent.test", nameserver_port=named.free_port())
    with pytest.raises(CommandError, match="could not be reconciled"):
        call_command("reconcile", "absent.test")
    broken.refresh_from_db()
    assert broken.available is False
