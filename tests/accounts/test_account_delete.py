"""Self-service account deletion removes the user's hosts from DNS first."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from domains.models import Host
from tests.conftest import logged_in, make_domain, unique_label
from tests.domains.test_dyndns2_endpoint import nic

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


def test_the_account_stays_when_dns_is_down(alice, private_bind):
    from domains import services

    domain = make_domain(private_bind)
    host, secret = services.host_register(domain=domain, label=unique_label(), owner=alice)
    nic(Client(), host, secret, myip="192.0.2.121")
    private_bind.stop()
    response = logged_in(alice).post("/accounts/delete/", follow=True)
    assert "could not be removed" in response.content.decode()
    assert Host.objects.filter(pk=host.pk).exists()
    assert get_user_model().objects.filter(pk=alice.pk).exists()


def test_profile_needs_login(client):
    assert client.get("/accounts/profile/").status_code == 302
    assert client.post("/accounts/delete/").status_code == 302
