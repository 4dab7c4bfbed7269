"""Self-service account deletion removes the user's hosts from DNS first."""

import pytest
from django.contrib.auth import get_user_model
from django.db.models import ProtectedError
from django.test import Client

from domains import reconcile, services
from domains.models import Domain, Host, RetiredName
from tests.support.bind import make_domain, unique_label
from tests.support.web import body, logged_in, nic

pytestmark = pytest.mark.django_db


def test_deleting_the_account_unpublishes_its_hosts(alice, make_host, bind):
    host, secret = make_host()
    nic(Client(), host, secret, myip="192.0.2.120")
    client = logged_in(alice)
    assert client.get("/accounts/delete/").status_code == 200
    client.post("/accounts/delete/")
    assert not get_user_model().objects.filter(pk=alice.pk).exists()
    assert not Host.objects.filter(pk=host.pk).exists()
    assert bind.lookup(host.fqdn) == []


def test_the_account_goes_at_once_when_dns_is_down_and_its_records_follow(alice, private_bind):
    domain = make_domain(private_bind)
    host, secret = services.host_register(domain=domain, label=unique_label(), owner=alice)
    nic(Client(), host, secret, myip="192.0.2.121")
    private_bind.stop()
    logged_in(alice).post("/accounts/delete/")
    assert not get_user_model().objects.filter(pk=alice.pk).exists()
    assert RetiredName.objects.filter(fqdn=host.fqdn).exists()
    private_bind.start()
    assert private_bind.lookup(host.fqdn) == ["192.0.2.121"]
    reconcile.domain_reconcile(domain=domain)
    assert private_bind.lookup(host.fqdn) == []
    assert not RetiredName.objects.exists()


def test_an_account_whose_zone_cannot_be_emptied_stays(alice, bob, private_bind):
    zone = make_domain(private_bind, owner=alice)
    guest, secret = services.host_register(domain=zone, label=unique_label(), owner=bob)
    nic(Client(), guest, secret, myip="192.0.2.122")
    private_bind.stop()
    response = logged_in(alice).post("/accounts/delete/", follow=True)
    assert "could not be removed" in body(response)
    assert get_user_model().objects.filter(pk=alice.pk).exists()
    assert Host.objects.filter(pk=guest.pk).exists()


def test_deleting_an_account_deletes_its_zones_and_their_records(alice, bob, private_bind):
    zone = make_domain(private_bind, owner=alice)
    guest, secret = services.host_register(domain=zone, label=unique_label(), owner=bob)
    nic(Client(), guest, secret, myip="192.0.2.123")
    logged_in(alice).post("/accounts/delete/")
    assert not Domain.objects.filter(pk=zone.pk).exists()
    assert private_bind.lookup(guest.fqdn) == []


def test_the_database_refuses_to_delete_a_user_who_still_has_hosts(alice, make_host):
    make_host(owner=alice)
    with pytest.raises(ProtectedError):
        alice.delete()


def test_profile_needs_login(client):
    assert client.get("/accounts/profile/").status_code == 302
    assert client.post("/accounts/delete/").status_code == 302
