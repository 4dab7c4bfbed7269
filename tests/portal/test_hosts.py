"""The portal's host pages: what alice can do, and that bob and strangers cannot."""

import re

import pytest
from django.test import Client

from domains import reconcile, services
from domains.models import Host
from tests.support.bind import make_domain, unique_label
from tests.support.web import body, nic

pytestmark = pytest.mark.django_db


def shown_secret(response) -> str:
    return re.search(r'id="secret"[^>]*value="([^"]+)"', response.content.decode()).group(1)


def test_alice_adds_a_host_and_its_secret_works_once_shown(alice_client, domain, bind):
    response = alice_client.post("/hosts/add/", {"label": "laptop-a", "domain": domain.pk})
    assert response.status_code == 200
    secret = shown_secret(response)
    host = Host.objects.get(fqdn="laptop-a.dyn.test")
    assert secret not in alice_client.get(f"/hosts/{host.pk}/").content.decode()
    assert body(nic(Client(), host, secret, myip="192.0.2.110")) == "good 192.0.2.110\n"
    page = alice_client.get("/hosts/").content.decode()
    assert "laptop-a.dyn.test" in page and "192.0.2.110" in page
    Host.objects.filter(pk=host.pk).delete()


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("www", "reserved"),
        ("bad_name", "letters, digits"),
        ("-x", "letters, digits"),
        ("<script>alert(1)</script>", "letters, digits"),
        ("x" * 300, "at most 63"),
        ("ümlaut", "letters, digits"),
        ("a\x00b", "letters, digits"),
    ],
)
def test_add_host_explains_bad_names(alice_client, domain, label, message):
    response = alice_client.post("/hosts/add/", {"label": label, "domain": domain.pk})
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert "<script>alert(1)</script>" not in page


def test_add_host_refuses_a_taken_name(alice_client, make_host, bob, domain):
    host, _ = make_host(owner=bob)
    response = alice_client.post("/hosts/add/", {"label": host.label, "domain": domain.pk})
    assert "already taken" in response.content.decode()


def test_add_host_enforces_the_quota(alice_client, make_host, domain, settings):
    settings.DDNS_MAX_HOSTS_PER_USER = 1
    make_host()
    response = alice_client.post("/hosts/add/", {"label": "second", "domain": domain.pk})
    assert "limit of 1 hosts" in response.content.decode()


def test_add_host_offers_only_usable_zones(alice_client, bob, bind):

    private = make_domain(bind, name="locked.test", public=False, owner=bob)
    response = alice_client.post("/hosts/add/", {"label": "sneaky", "domain": private.pk})
    assert "Select a valid choice" in response.content.decode()


def test_host_page_shows_history_and_configs(alice_client, make_host):
    host, secret = make_host()
    nic(Client(), host, secret, myip="192.0.2.111")
    page = alice_client.get(f"/hosts/{host.pk}/").content.decode()
    assert "192.0.2.111" in page
    assert "<circle" in page
    for client_name in ("ddclient", "inadyn", "Fritz!Box", "OpenWrt", "pfSense", "curl"):
        assert client_name in page
    assert host.secret_digest not in page


def test_regenerating_the_secret_needs_post_and_invalidates_the_old(alice_client, make_host):
    host, old = make_host()
    assert alice_client.get(f"/hosts/{host.pk}/secret/").status_code == 405
    new = shown_secret(alice_client.post(f"/hosts/{host.pk}/secret/"))
    assert body(nic(Client(), host, old, myip="192.0.2.112")) == "badauth\n"
    assert body(nic(Client(), host, new, myip="192.0.2.112")) == "good 192.0.2.112\n"


def test_setting_and_deleting_addresses_by_hand_reaches_dns(alice_client, make_host, bind):
    host, _ = make_host()
    alice_client.post(f"/hosts/{host.pk}/address/", {"address": "2001:db8::113"})
    assert bind.lookup(host.fqdn, "AAAA") == ["2001:db8::113"]
    alice_client.post(f"/hosts/{host.pk}/delete-AAAA/")
    assert bind.lookup(host.fqdn, "AAAA") == []


def test_setting_a_bad_address_by_hand_is_explained(alice_client, make_host):
    host, _ = make_host()
    response = alice_client.post(
        f"/hosts/{host.pk}/address/", {"address": "127.0.0.1"}, follow=True
    )
    assert "loopback" in response.content.decode()


def test_deleting_a_host_removes_its_records(alice_client, make_host, bind):
    host, secret = make_host()
    nic(Client(), host, secret, myip="192.0.2.114")
    assert alice_client.get(f"/hosts/{host.pk}/delete/").status_code == 200
    alice_client.post(f"/hosts/{host.pk}/delete/")
    assert not Host.objects.filter(pk=host.pk).exists()
    assert bind.lookup(host.fqdn) == []


def test_a_host_deleted_while_dns_is_down_is_gone_and_its_records_follow(
    alice, alice_client, private_bind
):
    zone = make_domain(private_bind)
    host, secret = services.host_register(domain=zone, label=unique_label(), owner=alice)
    nic(Client(), host, secret, myip="192.0.2.115")
    private_bind.stop()
    response = alice_client.post(f"/hosts/{host.pk}/delete/", follow=True)
    assert "will be removed as soon as it does" in body(response)
    assert alice_client.get(f"/hosts/{host.pk}/").status_code == 404
    private_bind.start()
    reconcile.domain_reconcile(domain=zone)
    assert private_bind.lookup(host.fqdn) == []


def test_alice_clears_client_faults_and_abuse_but_not_a_block(alice_client, make_host):
    host, _ = make_host()
    Host.objects.filter(pk=host.pk).update(client_faults=3, abuse=True, abuse_blocked=True)
    alice_client.post(f"/hosts/{host.pk}/reset-faults/")
    host.refresh_from_db()
    assert (host.client_faults, host.abuse, host.abuse_blocked) == (0, False, True)


OBJECT_URLS = [
    ("get", "/hosts/{pk}/"),
    ("post", "/hosts/{pk}/secret/"),
    ("post", "/hosts/{pk}/address/"),
    ("post", "/hosts/{pk}/delete-A/"),
    ("post", "/hosts/{pk}/reset-faults/"),
    ("get", "/hosts/{pk}/delete/"),
    ("post", "/hosts/{pk}/delete/"),
]


@pytest.mark.parametrize(("method", "url"), OBJECT_URLS)
def test_bob_gets_404_for_alices_hosts(bob_client, make_host, method, url):
    host, _ = make_host()
    response = getattr(bob_client, method)(url.format(pk=host.pk), {"address": "192.0.2.1"})
    assert response.status_code == 404
    assert Host.objects.filter(pk=host.pk, ipv4=None).exists()


@pytest.mark.parametrize(
    ("method", "url"), [*OBJECT_URLS, ("get", "/hosts/"), ("get", "/hosts/add/")]
)
def test_strangers_are_sent_to_login(client, make_host, method, url):
    host, _ = make_host()
    response = getattr(client, method)(url.format(pk=host.pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(("method", "url"), [u for u in OBJECT_URLS if u[0] == "post"])
def test_state_changes_need_csrf(alice, make_host, method, url):
    host, _ = make_host()
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(url.format(pk=host.pk), {"address": "192.0.2.1"}).status_code == 403


def test_the_address_page_shows_the_visitor(client, settings):
    settings.DDNS_IPV4_SERVICE_HOST = "ipv4.ddns.example.org"
    page = client.get("/address/", REMOTE_ADDR="198.51.100.7").content.decode()
    assert "198.51.100.7" in page
    assert "ipv4.ddns.example.org/myip" in page


@pytest.mark.parametrize("value", ["<script>alert(1)</script>", "é" * 70, "\x00\x1b", "1" * 5000])
def test_hostile_addresses_by_hand_are_refused_and_escaped(alice_client, make_host, value):
    host, _ = make_host()
    response = alice_client.post(f"/hosts/{host.pk}/address/", {"address": value}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in page
    host.refresh_from_db()
    assert host.ipv4 is None and host.ipv6 is None


@pytest.mark.parametrize("value", ["<script>alert(1)</script>", "x" * 5000, "\x00", "名前"])
def test_hostile_sign_up_input_never_breaks_the_page(client, value):
    response = client.post(
        "/accounts/signup/",
        {"email": value, "username": value, "password1": value, "password2": value},
    )
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()
