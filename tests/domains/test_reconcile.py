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


def zone_records(bind):
    return dns.read_addresses(bind.server())


def drifted_zone(bind, alice):
    """A zone where the server disagrees with the database in every way the plan knows:
    a host with a wrong address, a deleted host's name still published, a left-over write
    check, and the operator's own record."""
    domain = make_domain(bind)
    drifted, _ = services.host_register(domain=domain, label=unique_label(), owner=alice)
    steady, _ = services.host_register(domain=domain, label=unique_label(), owner=alice)
    gone, _ = services.host_register(domain=domain, label=unique_label(), owner=alice)
    for host, address in ((drifted, "192.0.2.160"), (steady, "192.0.2.161"), (gone, "192.0.2.162")):
        publish(host, address)
    dns.replace_addresses(bind.server(), drifted.fqdn, {"A": "198.51.100.7"}, 60)
    bind.stop()
    services.host_delete(host=gone)  # the server is down: the name is retired
    bind.start()
    dns.replace_txt(bind.server(), f"_ddns-check.{domain.name}", ["left"], 60)
    bind.publish(f"printer.{domain.name}", "192.0.2.99")
    return domain, drifted, steady, gone


def test_the_dry_run_plans_rewrites_removals_and_leaves_foreign_records(private_bind, alice):
    domain, drifted, steady, gone = drifted_zone(private_bind, alice)
    before = zone_records(private_bind)

    plan = reconcile.zone_plan(domain=domain)

    assert [(r.fqdn, r.found, r.wanted) for r in plan.rewrite] == [
        (drifted.fqdn, {"A": {"198.51.100.7"}, "AAAA": set()}, {"A": ["192.0.2.160"], "AAAA": []})
    ]
    assert {r.fqdn: r.reason for r in plan.remove} == {
        gone.fqdn: "a deleted host's name",
        f"_ddns-check.{domain.name}": "a write check left behind",
    }
    foreign = {item.fqdn: item.records for item in plan.foreign}
    assert foreign[f"printer.{domain.name}"] == {"A": {"192.0.2.99"}}
    assert f"ns.{domain.name}" in foreign
    assert steady.fqdn not in foreign and gone.fqdn not in foreign
    assert plan.differences == 3
    assert zone_records(private_bind) == before


def test_the_real_run_carries_out_the_plan_and_leaves_foreign_records(private_bind, alice):
    domain, drifted, _steady, gone = drifted_zone(private_bind, alice)

    repairs = reconcile.domain_reconcile(domain=domain)

    assert {r.fqdn for r in repairs} == {drifted.fqdn, gone.fqdn, f"_ddns-check.{domain.name}"}
    assert private_bind.lookup(drifted.fqdn) == ["192.0.2.160"]
    assert private_bind.lookup(gone.fqdn) == []
    assert private_bind.lookup(f"_ddns-check.{domain.name}", "TXT") == []
    assert private_bind.lookup(f"printer.{domain.name}") == ["192.0.2.99"]
    assert reconcile.zone_plan(domain=domain).differences == 0


def test_the_dry_run_command_reports_and_changes_nothing(private_bind, alice, capsys):
    import json

    from django.core.management import call_command

    from domains.models import Host, RetiredName

    domain, drifted, _steady, gone = drifted_zone(private_bind, alice)
    before = zone_records(private_bind)
    rows = list(Host.objects.values_list("fqdn", "ipv4", "ipv6").order_by("fqdn"))

    call_command("reconcile", "--dry-run")
    text = capsys.readouterr().out
    call_command("reconcile", "--dry-run", "--json")
    report = json.loads(capsys.readouterr().out)

    assert f"would rewrite {drifted.fqdn}: found A 198.51.100.7, wanted A 192.0.2.160" in text
    assert f"would remove {gone.fqdn} (a deleted host's name): A 192.0.2.162" in text
    assert f"leaves alone printer.{domain.name}: A 192.0.2.99" in text
    assert f"{domain.name}: 3 names differ" in text
    assert report["dry_run"] is True and report["differences"] == 3
    (zone,) = report["zones"]
    assert zone["zone"] == domain.name and zone["error"] is None
    assert zone["rewrite"][0] == {
        "name": drifted.fqdn,
        "reason": "differs from the database",
        "found": {"A": ["198.51.100.7"], "AAAA": []},
        "wanted": {"A": ["192.0.2.160"], "AAAA": []},
    }
    assert {"name": f"printer.{domain.name}", "records": {"A": ["192.0.2.99"]}} in zone["foreign"]
    assert zone_records(private_bind) == before
    assert list(Host.objects.values_list("fqdn", "ipv4", "ipv6").order_by("fqdn")) == rows
    assert RetiredName.objects.filter(fqdn=gone.fqdn).exists()


def test_the_json_report_of_an_unreachable_zone_names_the_error(bind, db, capsys):
    import json

    from django.core.management import CommandError, call_command

    from devtools import named

    make_domain(bind, name="absent.test", nameserver_port=named.free_port())
    with pytest.raises(CommandError, match="could not be reconciled"):
        call_command("reconcile", "absent.test", "--dry-run", "--json")
    (zone,) = json.loads(capsys.readouterr().out)["zones"]
    assert zone["zone"] == "absent.test"
    assert "unreachable" in zone["error"] or "did not answer" in zone["error"]
    assert Domain.objects.get(name="absent.test").available is True  # a dry run marks nothing


def test_the_command_refuses_an_unknown_zone(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match=r"no enabled zone named nowhere\.test"):
        call_command("reconcile", "nowhere.test", "--dry-run")


def test_the_plan_says_why_a_disabled_hosts_records_go(private_bind, alice):
    from django.utils import timezone

    from domains.models import Host

    domain = make_domain(private_bind)
    host, _ = services.host_register(domain=domain, label=unique_label(), owner=alice)
    publish(host, "192.0.2.170")
    # Disabled as unused while its server could not be told (the records stayed).
    Host.objects.filter(pk=host.pk).update(ipv4=None, stale_disabled_at=timezone.now())

    (rewrite,) = reconcile.zone_plan(domain=domain).rewrite

    assert rewrite.fqdn == host.fqdn and rewrite.wanted == {"A": [], "AAAA": []}
    assert rewrite.reason == reconcile.WITHDRAWN
    reconcile.domain_reconcile(domain=domain)
    assert private_bind.lookup(host.fqdn) == []
