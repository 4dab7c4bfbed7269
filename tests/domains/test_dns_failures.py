"""When the name server fails, the client hears dnserr, nothing is half-applied, and the
same request succeeds once the server is back."""

import socket
import time

import pytest

from domains import crypto, dns, names, reconcile, services
from domains.models import Domain, Host, RetiredName, UpdateEvent
from tests.support.bind import make_domain, unique_label
from tests.support.web import body, nic

pytestmark = pytest.mark.django_db


@pytest.fixture
def blackhole():
    """A UDP port that receives and never answers: a server that times out."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


def register(domain, owner):
    return services.host_register(domain=domain, label=unique_label(), owner=owner)


def assert_nothing_stored(host: Host) -> None:
    host.refresh_from_db()
    assert host.ipv4 is None
    assert host.ipv4_updated_at is None
    assert not UpdateEvent.objects.filter(host=host, result="good").exists()


def test_a_stopped_server_gives_dnserr_and_the_retry_succeeds(client, private_bind, alice):
    domain = make_domain(private_bind)
    host, secret = register(domain, alice)
    private_bind.stop()

    started = time.monotonic()
    response = nic(client, host, secret, myip="192.0.2.80")
    # A stopped server refuses the datagram: the answer comes at once, not at the timeout.
    assert time.monotonic() - started < 0.5
    assert response.status_code == 200
    assert body(response) == "dnserr\n"
    assert_nothing_stored(host)
    assert host.server_faults == 1
    assert "unreachable" in host.server_fault_message
    domain.refresh_from_db()
    assert domain.available is False
    assert "Connection refused" in domain.last_error
    failed = UpdateEvent.objects.get(host=host)
    assert failed.result.startswith("dnserr")
    assert failed.new_address == "192.0.2.80"

    private_bind.start()
    assert body(nic(client, host, secret, myip="192.0.2.80")) == "good 192.0.2.80\n"
    assert private_bind.lookup(host.fqdn) == ["192.0.2.80"]
    domain.refresh_from_db()
    assert domain.available is True


def test_a_server_that_never_answers_gives_dnserr(client, bind, alice, blackhole):
    domain = make_domain(bind, nameserver_port=blackhole)
    host, secret = register(domain, alice)
    assert body(nic(client, host, secret, myip="192.0.2.81")) == "dnserr\n"
    assert_nothing_stored(host)
    domain.refresh_from_db()
    assert "within 1 s" in domain.last_error


def test_a_wrong_key_gives_dnserr_and_marks_the_zone(client, bind, alice):
    domain = make_domain(bind, tsig_secret=crypto.new_tsig_secret())
    host, secret = register(domain, alice)
    assert body(nic(client, host, secret, myip="192.0.2.82")) == "dnserr\n"
    assert_nothing_stored(host)
    domain.refresh_from_db()
    assert "TSIG key" in domain.last_error
    assert bind.lookup(host.fqdn) == []


def test_an_unknown_key_name_gives_dnserr(client, bind, alice):
    domain = make_domain(bind, tsig_key_name="nobody-knows.")
    host, secret = register(domain, alice)
    assert body(nic(client, host, secret, myip="192.0.2.83")) == "dnserr\n"
    domain.refresh_from_db()
    assert "does not know key" in domain.last_error


def test_a_refusing_server_gives_dnserr(client, bind, alice):
    domain = make_domain(bind, name="locked.test")
    host, secret = register(domain, alice)
    assert body(nic(client, host, secret, myip="192.0.2.84")) == "dnserr\n"
    assert_nothing_stored(host)
    domain.refresh_from_db()
    assert "refused" in domain.last_error


def test_a_server_without_the_zone_gives_dnserr(client, bind, alice):
    domain = make_domain(bind, name="absent.test")
    host, secret = register(domain, alice)
    assert body(nic(client, host, secret, myip="192.0.2.85")) == "dnserr\n"
    domain.refresh_from_db()
    assert "not authoritative" in domain.last_error


def test_a_dual_stack_update_is_all_or_nothing(client, private_bind, alice):
    domain = make_domain(private_bind)
    host, secret = register(domain, alice)
    nic(client, host, secret, myip="192.0.2.86")
    private_bind.stop()
    assert body(nic(client, host, secret, myip="192.0.2.87,2001:db8::87")) == "dnserr\n"
    host.refresh_from_db()
    assert (host.ipv4, host.ipv6) == ("192.0.2.86", None)
    private_bind.start()
    assert private_bind.lookup(host.fqdn, "A") == ["192.0.2.86"]
    assert private_bind.lookup(host.fqdn, "AAAA") == []


def test_a_host_deleted_while_dns_is_down_leaves_no_record_behind(private_bind, alice):
    domain = make_domain(private_bind)
    host, _secret = register(domain, alice)
    services.host_update_addresses(
        host=host,
        addresses=names.Addresses(ipv4="192.0.2.88", ipv6="2001:db8::88"),
        client=services.ClientInfo(source=None, user_agent="test", tls=False),
    )
    private_bind.publish(f"foreign.{domain.name}", "198.51.100.88")
    private_bind.stop()

    assert services.host_delete(host=host) is False
    assert not Host.objects.filter(pk=host.pk).exists()  # gone for its owner at once

    private_bind.start()
    assert private_bind.lookup(host.fqdn) == ["192.0.2.88"]  # the server kept it meanwhile
    repairs = reconcile.domain_reconcile(domain=Domain.objects.get(pk=domain.pk))

    assert [repair.fqdn for repair in repairs] == [host.fqdn]
    assert not dns.name_exists(private_bind.server(), host.fqdn)  # NXDOMAIN
    assert private_bind.lookup(f"foreign.{domain.name}") == ["198.51.100.88"]
    assert not RetiredName.objects.exists()
    assert reconcile.domain_reconcile(domain=domain) == []


def test_a_name_registered_again_keeps_its_new_records(private_bind, alice):
    domain = make_domain(private_bind)
    host, _secret = register(domain, alice)
    services.host_update_addresses(
        host=host,
        addresses=names.Addresses(ipv4="192.0.2.89"),
        client=services.ClientInfo(source=None, user_agent="test", tls=False),
    )
    private_bind.stop()
    services.host_delete(host=host)
    private_bind.start()
    again, _secret = services.host_register(domain=domain, label=host.label, owner=alice)
    services.host_update_addresses(
        host=again,
        addresses=names.Addresses(ipv4="192.0.2.90"),
        client=services.ClientInfo(source=None, user_agent="test", tls=False),
    )
    reconcile.domain_reconcile(domain=domain)
    assert private_bind.lookup(again.fqdn) == ["192.0.2.90"]
    assert not RetiredName.objects.exists()


def test_names_the_service_never_published_are_not_retired(private_bind, alice):
    domain = make_domain(private_bind)
    host, _secret = register(domain, alice)
    private_bind.stop()
    assert services.host_delete(host=host) is True
    assert not RetiredName.objects.exists()


def test_a_failing_zone_does_not_affect_others(client, bind, alice, make_host):
    broken = make_domain(bind, name="absent.test")
    register(broken, alice)
    healthy_host, secret = make_host()
    assert body(nic(client, healthy_host, secret, myip="192.0.2.89")) == "good 192.0.2.89\n"
    assert Domain.objects.get(name="dyn.test").available is True
