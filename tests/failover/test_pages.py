"""The owners' group pages: create, watch, switch, delete; bob gets 404."""

import pytest

from failover.models import Group
from tests.support.bind import unique_label
from tests.support.groups import check
from tests.support.web import body

pytestmark = pytest.mark.django_db


@pytest.fixture
def generic(make_host):
    host, _secret = make_host(label=unique_label("vault"))
    return host


def group_form(servers, generic, **extra) -> dict:
    form = {
        "host": generic.pk,
        "members": "192.0.2.21=127.0.0.21\n192.0.2.22=127.0.0.22",
        "check_kind": "http",
        "check_port": servers.port,
        "check_path": "/",
        "check_method": "GET",
        "expected_codes": "200-399",
        "tls_verify": "on",
        "timeout": "1",
        "interval": "1",
        "down_threshold": "2",
        "up_threshold": "1",
        "cert_expiry_days": "7",
        "vault_policy": "unsealed",
        "mode": "failover",
        "failback": "on",
        "hold_down": "60",
        "max_drop": "1",
        "all_down": "keep",
        "ttl": "30",
    }
    return form | extra


def test_alice_makes_a_group_and_watches_it_fail_over(alice_client, members, generic, bind):
    response = alice_client.post("/ha/add/", group_form(members, generic))
    assert "X-DDNS-Signature" in body(response)
    group = Group.objects.get(host=generic)
    assert bind.lookup(generic.fqdn) == ["192.0.2.21"]
    members.answer(0, 503)
    check(3)
    page = body(alice_client.get(f"/ha/{group.pk}/"))
    assert bind.lookup(generic.fqdn) == ["192.0.2.22"]
    assert "failover" in page and "HTTP 503 from 127.0.0.21" in page
    assert 'id="answer">192.0.2.22<' in page


def test_bad_group_input_is_explained(alice_client, members, generic):
    cases = {
        "members": ("not-an-address-or-host", "neither an address nor a host"),
        "expected_codes": ("200-999", "from 100 to 599"),
        "interval": ("0", "greater than or equal to 1"),
        "headers": ("no colon here", "Name: value"),
    }
    for field, (value, message) in cases.items():
        response = alice_client.post("/ha/add/", group_form(members, generic, **{field: value}))
        assert message in body(response), field
    assert not Group.objects.exists()


def test_the_negative_caching_time_is_shown_for_publish_nothing(
    alice_client, members, generic, bind
):
    alice_client.post("/ha/add/", group_form(members, generic, all_down="none"))
    group = Group.objects.get(host=generic)
    page = body(alice_client.get(f"/ha/{group.pk}/"))
    assert "resolvers keep the empty answer for 60 s" in page


def test_alice_puts_a_member_into_maintenance(alice_client, members, generic, bind):
    alice_client.post("/ha/add/", group_form(members, generic))
    group = Group.objects.get(host=generic)
    check()
    primary = group.members.get(priority=1)
    alice_client.post(f"/ha/{group.pk}/members/{primary.pk}/state/", {"switch": "maintenance"})
    assert bind.lookup(generic.fqdn) == ["192.0.2.22"]


def test_bob_gets_404_for_alices_group(alice_client, bob_client, members, generic):
    alice_client.post("/ha/add/", group_form(members, generic))
    group = Group.objects.get(host=generic)
    member = group.members.first()
    for url in (f"/ha/{group.pk}/", f"/ha/{group.pk}/edit/", f"/ha/{group.pk}/delete/"):
        assert bob_client.get(url).status_code == 404
    response = bob_client.post(f"/ha/{group.pk}/members/{member.pk}/delete/")
    assert response.status_code == 404
    assert group.members.count() == 2


def test_bob_cannot_make_a_group_of_alices_host(bob_client, members, generic):
    response = bob_client.post("/ha/add/", group_form(members, generic))
    assert "Select a valid choice" in body(response)


def test_deleting_a_group_in_the_portal(alice_client, members, generic, bind):
    alice_client.post("/ha/add/", group_form(members, generic))
    group = Group.objects.get(host=generic)
    alice_client.post(f"/ha/{group.pk}/delete/")
    assert not Group.objects.exists()
    assert bind.lookup(generic.fqdn) == ["192.0.2.21"]


def test_group_pages_need_login_and_csrf(client, alice, members, generic):
    from django.test import Client

    assert client.get("/ha/").status_code == 302
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post("/ha/add/", group_form(members, generic)).status_code == 403
