"""The operators' admin lists zones and hosts, filters and searches, never shows secrets."""

import pytest

from domains import crypto
from domains.models import Domain

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client, django_user_model):
    user = django_user_model.objects.create_superuser("olga", "olga@example.org", "olga-pw-123")
    client.force_login(user)
    return user


def test_host_list_searches_and_filters(client, operator, make_host, domain):
    host, secret = make_host()
    response = client.get("/admin/domains/host/", {"q": host.label})
    page = response.content.decode()
    assert response.status_code == 200
    assert host.fqdn in page
    assert secret not in page
    for query in (
        {"domain__id__exact": domain.pk},
        {"abuse__exact": "1"},
        {"abuse_blocked__exact": "0"},
        {"owner__id__exact": host.owner_id},
    ):
        assert client.get("/admin/domains/host/", query).status_code == 200


def test_host_page_shows_no_secret_digest(client, operator, make_host):
    host, secret = make_host()
    page = client.get(f"/admin/domains/host/{host.pk}/change/").content.decode()
    assert host.fqdn in page
    assert host.secret_digest not in page
    assert secret not in page


def test_domain_page_never_shows_the_tsig_secret(client, operator, domain, bind):
    page = client.get(f"/admin/domains/domain/{domain.pk}/change/").content.decode()
    assert domain.name in page
    assert bind.secret not in page
    assert domain.tsig_secret_encrypted not in page


def add_zone_in_admin(client, **extra):
    form = {
        "name": "admin.test",
        "nameserver_host": "127.0.0.1",
        "nameserver_port": "53",
        "tsig_key_name": "k.",
        "tsig_algorithm": "hmac-sha256",
        "ttl": "60",
        "enabled": "on",
    }
    return client.post("/admin/domains/domain/add/", {**form, **extra})


def test_a_zone_added_in_the_admin_has_its_secret_encrypted(client, operator):
    secret = crypto.new_tsig_secret()
    response = add_zone_in_admin(client, tsig_secret=secret)
    assert response.status_code == 302
    zone = Domain.objects.get(name="admin.test")
    assert zone.tsig_secret == secret
    assert secret not in zone.tsig_secret_encrypted


def test_a_zone_without_a_secret_is_refused(client, operator):
    response = add_zone_in_admin(client)
    assert response.status_code == 200
    assert "needs its TSIG secret" in response.content.decode()


def test_block_action_stops_updates(client, operator, make_host):
    host, _secret = make_host()
    client.post("/admin/domains/host/", {"action": "block", "_selected_action": [host.pk]})
    host.refresh_from_db()
    assert host.abuse_blocked


def test_strangers_are_sent_to_login(client, make_host):
    response = client.get("/admin/domains/host/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
