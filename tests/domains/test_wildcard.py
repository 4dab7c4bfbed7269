"""A wildcard host: "*.<host>" follows the host's addresses, written in the same message
and removed with them. Checked by asking the real named."""

import pytest

from domains import dns, names, reconcile, services
from domains.models import Host
from tests.support.bind import make_domain, unique_label

pytestmark = pytest.mark.django_db

CLIENT = services.ClientInfo(source=None, user_agent="test", tls=False)


def wildcard_host(domain, owner, wildcard=True) -> Host:
    host, _ = services.host_register(
        domain=domain, label=unique_label(), owner=owner, wildcard=wildcard
    )
    return host


def publish(host, ipv4=None, ipv6=None):
    services.host_update_addresses(host=host, addresses=names.Addresses(ipv4, ipv6), client=CLIENT)


def below(host) -> str:
    return f"foo.{host.fqdn}"


def test_registering_stores_the_wildcard_flag(domain, alice):
    host = wildcard_host(domain, alice)
    host.refresh_from_db()
    assert host.wildcard is True


def test_a_name_below_a_wildcard_host_answers_its_address(domain, alice, bind):
    host = wildcard_host(domain, alice)
    publish(host, "192.0.2.61", "2001:db8::61")
    assert bind.lookup(below(host), "A") == ["192.0.2.61"]
    assert bind.lookup(f"a.b.{host.fqdn}", "AAAA") == ["2001:db8::61"]
    assert bind.lookup(host.fqdn, "A") == ["192.0.2.61"]


def test_both_names_follow_an_address_change(domain, alice, bind):
    host = wildcard_host(domain, alice)
    publish(host, "192.0.2.62")
    publish(host, "192.0.2.63")
    assert bind.lookup(host.fqdn) == ["192.0.2.63"]
    assert bind.lookup(below(host)) == ["192.0.2.63"]


def test_removing_an_address_removes_it_below_too(domain, alice, bind):
    host = wildcard_host(domain, alice)
    publish(host, "192.0.2.64", "2001:db8::64")
    services.host_delete_address(host=host, rdtype="A", client=CLIENT)
    assert bind.lookup(below(host), "A") == []
    assert bind.lookup(below(host), "AAAA") == ["2001:db8::64"]


def test_a_plain_host_has_no_wildcard(make_host, bind):
    host, _ = make_host()
    publish(host, "192.0.2.65")
    assert bind.lookup(below(host)) == []


def test_turning_the_wildcard_on_and_off(make_host, bind):
    host, _ = make_host()
    publish(host, "192.0.2.66")

    assert services.host_set_wildcard(host=host, wildcard=True) is True
    assert bind.lookup(below(host)) == ["192.0.2.66"]
    assert services.host_set_wildcard(host=host, wildcard=True) is False

    assert services.host_set_wildcard(host=host, wildcard=False) is True
    assert bind.lookup(below(host)) == []
    assert bind.lookup(host.fqdn) == ["192.0.2.66"]
    host.refresh_from_db()
    assert host.wildcard is False


def test_turning_it_on_without_addresses_publishes_nothing_until_one_comes(make_host, bind):
    host, _ = make_host()
    services.host_set_wildcard(host=host, wildcard=True)
    assert bind.lookup(below(host)) == []
    publish(host, "192.0.2.67")
    assert bind.lookup(below(host)) == ["192.0.2.67"]


def test_deleting_the_host_removes_both_names(domain, alice, bind):
    host = wildcard_host(domain, alice)
    publish(host, "192.0.2.68", "2001:db8::68")
    assert services.host_delete(host=host) is True
    for name in (host.fqdn, below(host)):
        assert bind.lookup(name, "A") == []
        assert bind.lookup(name, "AAAA") == []


def test_a_failed_switch_stores_nothing(private_bind, alice):
    domain = make_domain(private_bind)
    host = wildcard_host(domain, alice, wildcard=False)
    publish(host, "192.0.2.69")
    private_bind.stop()
    with pytest.raises(services.DnsFailure):
        services.host_set_wildcard(host=host, wildcard=True)
    host.refresh_from_db()
    assert host.wildcard is False


def test_a_group_set_is_published_below_a_wildcard_host_too(domain, alice, bind):
    host = wildcard_host(domain, alice)
    services.host_publish_set(
        host_id=host.pk, ipv4=["192.0.2.70", "192.0.2.71"], ipv6=[], ttl=30, source="test"
    )
    assert bind.lookup(below(host)) == ["192.0.2.70", "192.0.2.71"]
    services.host_release_set(host_id=host.pk)
    assert bind.lookup(below(host)) == ["192.0.2.70"]


def test_the_reconciler_restores_a_lost_wildcard(domain, alice, bind):
    host = wildcard_host(domain, alice)
    publish(host, "192.0.2.72")
    dns.delete_names(bind.server(), [host.fqdn])

    repairs = reconcile.domain_reconcile(domain=domain)

    assert host.fqdn in {r.fqdn for r in repairs}
    assert bind.lookup(below(host)) == ["192.0.2.72"]
    assert bind.lookup(host.fqdn) == ["192.0.2.72"]


def test_the_reconciler_removes_a_wildcard_the_host_does_not_want(make_host, domain, bind):
    host, _ = make_host()
    publish(host, "192.0.2.73")
    dns.replace_addresses(bind.server(), dns.wildcard_name(host.fqdn), {"A": "198.51.100.7"}, 60)

    reconcile.domain_reconcile(domain=domain)

    assert bind.lookup(below(host)) == []
    assert bind.lookup(host.fqdn) == ["192.0.2.73"]


def test_the_portal_registers_a_wildcard_host(alice_client, domain, bind):
    label = unique_label()
    response = alice_client.post(
        "/hosts/add/", {"label": label, "domain": domain.pk, "comment": "", "wildcard": "on"}
    )
    assert response.status_code == 200
    assert Host.objects.get(label=label).wildcard is True


def test_the_host_page_switches_the_wildcard_and_lists_challenges(alice_client, make_host, bind):
    host, _ = make_host()
    publish(host, "192.0.2.74")
    value = "A" * 43
    services.acme_txt_add(host=host, value=value)

    page = alice_client.get(f"/hosts/{host.pk}/").content.decode()
    assert value in page
    assert f"_acme-challenge.{host.fqdn}" in page

    alice_client.post(f"/hosts/{host.pk}/", {"wildcard": "on"})
    assert bind.lookup(below(host)) == ["192.0.2.74"]
    alice_client.post(f"/hosts/{host.pk}/", {})
    assert bind.lookup(below(host)) == []
