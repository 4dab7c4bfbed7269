"""Bring your own zone: a signed test write decides whether it is saved; owners manage it."""

import pytest
from django.test import Client

from domains import crypto, names
from domains.models import Domain, Host
from tests.support.bind import KEY_NAME, make_domain, unique_label

pytestmark = pytest.mark.django_db


def zone_form(bind, **overrides):
    data = {
        "name": "dyn.test",
        "nameserver_host": "127.0.0.1",
        "nameserver_port": bind.port,
        "tsig_key_name": KEY_NAME,
        "tsig_algorithm": "hmac-sha256",
        "tsig_secret": bind.secret,
        "public": "on",
    }
    data.update(overrides)
    return data


def test_a_zone_is_saved_after_a_passing_test(alice_client, alice, bind):
    response = alice_client.post("/zones/add/", zone_form(bind), follow=True)
    assert "test update succeeded" in response.content.decode()
    zone = Domain.objects.get(name="dyn.test")
    assert zone.owner == alice and zone.public
    assert bind.lookup("_ddns-check.dyn.test", "TXT") == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"tsig_secret": crypto.new_tsig_secret()}, "rejected the TSIG key"),
        ({"tsig_key_name": "other-key."}, "does not know key"),
        ({"name": "locked.test"}, "refused"),
        ({"name": "absent.test"}, "not authoritative"),
    ],
)
def test_a_failing_test_says_what_failed_and_saves_nothing(alice_client, bind, overrides, message):
    response = alice_client.post("/zones/add/", zone_form(bind, **overrides))
    assert message in response.content.decode()
    assert not Domain.objects.exists()


def test_an_unreachable_server_is_reported(alice_client, bind):
    from devtools import named

    response = alice_client.post("/zones/add/", zone_form(bind, nameserver_port=named.free_port()))
    assert "unreachable" in response.content.decode()


def test_an_empty_secret_gets_generated_with_a_bind_snippet(alice_client, bind):
    response = alice_client.post("/zones/add/", zone_form(bind, tsig_secret=""))
    page = response.content.decode()
    assert "update-policy" in page and KEY_NAME in page
    assert not Domain.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "<script>x</script>"}, "not a valid zone name"),
        ({"tsig_secret": "not base64!"}, "must be base64"),
        ({"nameserver_port": "70000"}, "less than or equal"),
        ({"nameserver_host": "a b"}, "host name or an IP"),
        ({"tsig_key_name": "x" * 300}, "at most 253"),
    ],
)
def test_bad_zone_input_is_explained(alice_client, bind, overrides, message):
    response = alice_client.post("/zones/add/", zone_form(bind, **overrides))
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert "<script>x</script>" not in page


def test_the_owner_sees_and_removes_other_peoples_hosts(alice_client, alice, bob, bind):
    from domains import services

    zone = make_domain(bind, owner=alice)
    host, _ = services.host_register(domain=zone, label=unique_label(), owner=bob)
    page = alice_client.get(f"/zones/{zone.pk}/").content.decode()
    assert host.fqdn in page and "bob" in page
    alice_client.post(f"/zones/{zone.pk}/hosts/{host.pk}/remove/")
    assert not Host.objects.filter(pk=host.pk).exists()


ZONE_URLS = [
    ("get", "/zones/{pk}/"),
    ("post", "/zones/{pk}/check/"),
    ("post", "/zones/{pk}/public/"),
    ("get", "/zones/{pk}/delete/"),
    ("post", "/zones/{pk}/delete/"),
]


@pytest.mark.parametrize(("method", "url"), ZONE_URLS)
def test_bob_gets_404_for_alices_zone(bob, alice, bind, method, url):
    zone = make_domain(bind, owner=alice)
    client = Client()
    client.force_login(bob)
    assert getattr(client, method)(url.format(pk=zone.pk)).status_code == 404
    assert Domain.objects.filter(pk=zone.pk, public=True).exists()


@pytest.mark.parametrize(("method", "url"), ZONE_URLS)
def test_strangers_are_sent_to_login_for_zones(client, alice, bind, method, url):
    zone = make_domain(bind, owner=alice)
    response = getattr(client, method)(url.format(pk=zone.pk))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_deleting_a_zone_unpublishes_its_hosts(alice_client, alice, bind):
    from domains import services

    zone = make_domain(bind, owner=alice)
    host, _secret = services.host_register(domain=zone, label=unique_label(), owner=alice)
    services.host_update_addresses(
        host=host,
        addresses=names.Addresses(ipv4="192.0.2.130"),
        client=services.ClientInfo(None, "test", False),
    )
    alice_client.post(f"/zones/{zone.pk}/delete/")
    assert not Domain.objects.filter(pk=zone.pk).exists()
    assert bind.lookup(host.fqdn) == []


@pytest.mark.parametrize(("method", "url"), [u for u in ZONE_URLS if u[0] == "post"])
def test_zone_changes_need_csrf(alice, bind, method, url):
    zone = make_domain(bind, owner=alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(url.format(pk=zone.pk)).status_code == 403
