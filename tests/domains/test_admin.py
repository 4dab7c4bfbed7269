"""The operators' admin: every change goes through the services, as in the portal.

Deleting hosts, zones and users removes their records from DNS first; a zone's server
and key are tried with a signed test write; names never change after creation; secrets
are never displayed.
"""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from domains import crypto, dns, reconcile
from domains.models import Domain, Host, RetiredName
from tests.support.bind import KEY_NAME, ZONE, make_domain, unique_label
from tests.support.web import body, logged_in, nic

pytestmark = pytest.mark.django_db

HOSTS = "/admin/domains/host/"
ZONES = "/admin/domains/domain/"
USERS = "/admin/auth/user/"


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_superuser("olga", "olga@example.org", "olga-pw-123")


@pytest.fixture
def admin_client(operator):
    return logged_in(operator)


def published(make_host, address: str, **options):
    """A host whose address is in DNS."""
    host, secret = make_host(**options)
    assert body(nic(Client(), host, secret, myip=address)) == f"good {address}\n"
    return host, secret


# --- Reading ----------------------------------------------------------------------------


def test_host_list_searches_and_filters(admin_client, make_host, domain):
    host, secret = make_host()
    response = admin_client.get(HOSTS, {"q": host.label})
    page = body(response)
    assert response.status_code == 200
    assert host.fqdn in page
    assert secret not in page
    for query in (
        {"domain__id__exact": domain.pk},
        {"abuse__exact": "1"},
        {"abuse_blocked__exact": "0"},
        {"owner__id__exact": host.owner_id},
    ):
        assert admin_client.get(HOSTS, query).status_code == 200


def test_host_page_shows_no_secret_digest(admin_client, make_host):
    host, secret = make_host()
    page = body(admin_client.get(f"{HOSTS}{host.pk}/change/"))
    assert host.fqdn in page
    assert host.secret_digest not in page
    assert secret not in page


def test_domain_page_never_shows_the_tsig_secret(admin_client, domain, bind):
    page = body(admin_client.get(f"{ZONES}{domain.pk}/change/"))
    assert domain.name in page
    assert bind.secret not in page
    assert domain.tsig_secret_encrypted not in page


def test_strangers_are_sent_to_login(client, make_host):
    response = client.get(HOSTS)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# --- Zones ------------------------------------------------------------------------------


def zone_form(bind, **extra) -> dict:
    form = {
        "name": ZONE,
        "nameserver_host": "127.0.0.1",
        "nameserver_port": str(bind.port),
        "tsig_key_name": KEY_NAME,
        "tsig_algorithm": "hmac-sha256",
        "ttl": "60",
        "tsig_secret": bind.secret,
    }
    return {**form, **extra}


def test_a_zone_added_in_the_admin_passes_the_test_write_and_is_encrypted(admin_client, bind):
    response = admin_client.post(f"{ZONES}add/", zone_form(bind))
    assert response.status_code == 302
    zone = Domain.objects.get(name=ZONE)
    assert zone.tsig_secret == bind.secret
    assert bind.secret not in zone.tsig_secret_encrypted


def test_a_zone_whose_server_refuses_the_key_is_not_added(admin_client, bind):
    response = admin_client.post(
        f"{ZONES}add/", zone_form(bind, tsig_secret=crypto.new_tsig_secret())
    )
    assert response.status_code == 200
    assert "Connectivity test failed" in body(response)
    assert "TSIG" in body(response)
    assert not Domain.objects.exists()


def test_a_zone_refusing_updates_is_not_added(admin_client, bind):
    response = admin_client.post(f"{ZONES}add/", zone_form(bind, name="locked.test"))
    assert "refused the update" in body(response)
    assert not Domain.objects.exists()


def test_a_zone_without_a_secret_is_refused(admin_client, bind):
    response = admin_client.post(f"{ZONES}add/", zone_form(bind, tsig_secret=""))
    assert response.status_code == 200
    assert "needs its TSIG secret" in body(response)


def test_a_new_key_is_tried_before_it_is_stored(admin_client, domain, bind):
    form = zone_form(bind, tsig_secret=crypto.new_tsig_secret())
    response = admin_client.post(f"{ZONES}{domain.pk}/change/", form)
    assert "Connectivity test failed" in body(response)
    assert Domain.objects.get(pk=domain.pk).tsig_secret == bind.secret


def test_a_zone_keeps_its_name_and_stored_secret_when_edited(admin_client, domain, bind):
    form = zone_form(bind, name="renamed.test", tsig_secret="", ttl="120")
    response = admin_client.post(f"{ZONES}{domain.pk}/change/", form)
    assert response.status_code == 302
    zone = Domain.objects.get(pk=domain.pk)
    assert (zone.name, zone.ttl, zone.tsig_secret) == (ZONE, 120, bind.secret)


def test_deleting_a_zone_in_the_admin_removes_its_records(admin_client, make_host, domain, bind):
    host, _ = published(make_host, "192.0.2.170")
    page = body(admin_client.get(f"{ZONES}{domain.pk}/delete/"))
    assert host.fqdn in page  # the confirmation lists the hosts that go with it
    admin_client.post(f"{ZONES}{domain.pk}/delete/", {"post": "yes"})
    assert not Domain.objects.filter(pk=domain.pk).exists()
    assert bind.lookup(host.fqdn) == []


def test_a_zone_whose_server_is_down_is_kept_whole(admin_client, alice, private_bind):
    zone = make_domain(private_bind)
    host, _secret = published(lambda: _register(zone, alice), "192.0.2.171")
    private_bind.stop()
    response = admin_client.post(f"{ZONES}{zone.pk}/delete/", {"post": "yes"}, follow=True)
    assert "was kept" in body(response)
    assert Host.objects.filter(pk=host.pk).exists()


def test_disable_and_enable_actions_switch_a_zones_hosts(admin_client, make_host, domain):
    host, secret = make_host()
    admin_client.post(ZONES, {"action": "disable", "_selected_action": [domain.pk]})
    assert body(nic(Client(), host, secret, myip="192.0.2.172")) == "nohost\n"
    admin_client.post(ZONES, {"action": "enable", "_selected_action": [domain.pk]})
    assert body(nic(Client(), host, secret, myip="192.0.2.172")) == "good 192.0.2.172\n"


# --- Hosts ------------------------------------------------------------------------------


def _register(zone, owner):
    from domains import services

    return services.host_register(domain=zone, label=unique_label(), owner=owner)


def host_form(domain, owner, label=None) -> dict:
    return {"label": label or unique_label(), "domain": domain.pk, "owner": owner.pk}


def test_a_host_added_in_the_admin_shows_its_working_secret_once(admin_client, domain, alice):
    response = admin_client.post(f"{HOSTS}add/", host_form(domain, alice))
    host = Host.objects.get(owner=alice)
    secret = response.context["secret"]
    assert secret in body(response)
    assert body(nic(Client(), host, secret, myip="192.0.2.173")) == "good 192.0.2.173\n"
    assert secret not in body(admin_client.get(f"{HOSTS}{host.pk}/change/"))


@pytest.mark.parametrize(
    ("label", "message"), [("www", "reserved"), ("bad_name", "letters, digits or hyphens")]
)
def test_the_admin_refuses_names_the_portal_refuses(admin_client, domain, alice, label, message):
    response = admin_client.post(f"{HOSTS}add/", host_form(domain, alice, label))
    assert message in body(response)
    assert not Host.objects.exists()


def test_the_admin_enforces_the_owners_quota(admin_client, make_host, domain, alice, settings):
    settings.DDNS_MAX_HOSTS_PER_USER = 1
    make_host()
    response = admin_client.post(f"{HOSTS}add/", host_form(domain, alice))
    assert "limit of 1 hosts" in body(response)
    assert Host.objects.count() == 1


def test_a_taken_name_is_refused_in_the_admin(admin_client, make_host, domain, alice):
    host, _ = make_host()
    response = admin_client.post(f"{HOSTS}add/", host_form(domain, alice, host.label))
    assert "already taken" in body(response)


def test_a_hosts_name_and_owner_cannot_be_changed(admin_client, make_host, domain, bob):
    host, _ = make_host()
    form = {"label": "renamed", "domain": domain.pk, "owner": bob.pk, "comment": "new note"}
    response = admin_client.post(f"{HOSTS}{host.pk}/change/", form)
    assert response.status_code == 302
    stored = Host.objects.get(pk=host.pk)
    assert (stored.fqdn, stored.label, stored.owner_id) == (host.fqdn, host.label, host.owner_id)
    assert stored.comment == "new note"


def test_deleting_a_host_in_the_admin_removes_its_records(admin_client, make_host, bind):
    host, _ = published(make_host, "192.0.2.174")
    admin_client.post(f"{HOSTS}{host.pk}/delete/", {"post": "yes"})
    assert not Host.objects.filter(pk=host.pk).exists()
    assert bind.lookup(host.fqdn) == []


def test_bulk_deleting_hosts_removes_every_record(admin_client, make_host, bind):
    hosts = [published(make_host, f"192.0.2.{175 + i}")[0] for i in range(3)]
    admin_client.post(
        HOSTS,
        {"action": "delete_selected", "_selected_action": [h.pk for h in hosts], "post": "yes"},
    )
    assert not Host.objects.exists()
    assert all(bind.lookup(host.fqdn) == [] for host in hosts)


def test_a_host_deleted_in_the_admin_while_dns_is_down_leaves_nothing(
    admin_client, alice, private_bind
):
    zone = make_domain(private_bind)
    host, _ = published(lambda: _register(zone, alice), "192.0.2.178")
    private_bind.stop()
    response = admin_client.post(f"{HOSTS}{host.pk}/delete/", {"post": "yes"}, follow=True)
    assert "will be removed as soon as it does" in body(response)
    assert not Host.objects.filter(pk=host.pk).exists()
    private_bind.start()
    reconcile.domain_reconcile(domain=zone)
    assert not dns.name_exists(private_bind.server(), host.fqdn)
    assert not RetiredName.objects.exists()


def test_block_action_refuses_updates_until_unblocked(admin_client, make_host):
    host, secret = make_host()
    admin_client.post(HOSTS, {"action": "block", "_selected_action": [host.pk]})
    assert body(nic(Client(), host, secret, myip="192.0.2.179")) == "abuse\n"
    admin_client.post(HOSTS, {"action": "unblock", "_selected_action": [host.pk]})
    assert body(nic(Client(), host, secret, myip="192.0.2.179")) == "good 192.0.2.179\n"


# --- Users ------------------------------------------------------------------------------


def test_deleting_a_user_in_the_admin_unpublishes_their_hosts(admin_client, make_host, alice, bind):
    host, _ = published(make_host, "192.0.2.180", owner=alice)
    page = body(admin_client.get(f"{USERS}{alice.pk}/delete/"))
    assert host.fqdn in page and "Cannot delete" not in page
    admin_client.post(f"{USERS}{alice.pk}/delete/", {"post": "yes"})
    assert not get_user_model().objects.filter(pk=alice.pk).exists()
    assert bind.lookup(host.fqdn) == []


def test_bulk_deleting_users_goes_through_the_service(admin_client, make_host, alice, bob, bind):
    hosts = [published(make_host, "192.0.2.181", owner=alice)[0]]
    hosts.append(published(make_host, "192.0.2.182", owner=bob)[0])
    admin_client.post(
        USERS,
        {"action": "delete_selected", "_selected_action": [alice.pk, bob.pk], "post": "yes"},
    )
    assert not get_user_model().objects.filter(pk__in=[alice.pk, bob.pk]).exists()
    assert all(bind.lookup(host.fqdn) == [] for host in hosts)
