"""/nic/update, /nic/delete and /myip through Django's full stack, checked against real BIND."""

import base64

import pytest

from domains.models import Host, UpdateEvent
from tests.support.bind import make_domain
from tests.support.web import basic, body, nic

pytestmark = pytest.mark.django_db(transaction=False)


def test_it_publishes_a_new_address(client, make_host, bind):
    host, secret = make_host()
    response = nic(client, host, secret, myip="192.0.2.10")
    assert response.status_code == 200
    assert body(response) == "good 192.0.2.10\n"
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Length"] == str(len(response.content))
    assert bind.lookup(host.fqdn, "A") == ["192.0.2.10"]


def test_it_answers_nochg_without_touching_dns(client, make_host, bind):
    host, secret = make_host()
    nic(client, host, secret, myip="192.0.2.11")
    # Change DNS behind the service's back: a nochg must be decided from the database.
    bind_server = bind.server()
    from domains import dns

    dns.replace_addresses(bind_server, host.fqdn, {"A": "192.0.2.99"}, 60)
    response = nic(client, host, secret, myip="192.0.2.11")
    assert body(response) == "nochg 192.0.2.11\n"
    assert bind.lookup(host.fqdn, "A") == ["192.0.2.99"]


def test_it_records_history_and_client_details(client, make_host):
    host, secret = make_host()
    nic(client, host, secret, myip="192.0.2.12")
    nic(client, host, secret, myip="192.0.2.13")
    events = list(UpdateEvent.objects.filter(host=host).order_by("id"))
    assert [(e.old_address, e.new_address, e.result) for e in events] == [
        (None, "192.0.2.12", "good"),
        ("192.0.2.12", "192.0.2.13", "good"),
    ]
    host.refresh_from_db()
    assert host.ipv4_user_agent == "ddclient/3.10.0"
    assert host.ipv4_source == "127.0.0.1"
    assert host.ipv4_tls is False


def test_it_accepts_post(client, make_host, bind):
    host, secret = make_host()
    response = nic(client, host, secret, method="post", myip="192.0.2.14")
    assert body(response) == "good 192.0.2.14\n"


def test_it_takes_credentials_from_query_parameters(client, make_host, bind):
    host, secret = make_host()
    response = client.get(
        "/nic/update", {"username": host.fqdn, "password": secret, "myip": "192.0.2.15"}
    )
    assert body(response) == "good 192.0.2.15\n"


@pytest.mark.parametrize(
    ("params", "expected_a", "expected_aaaa", "line"),
    [
        (
            {"myip": "192.0.2.20,2001:db8::20"},
            ["192.0.2.20"],
            ["2001:db8::20"],
            "good 192.0.2.20,2001:db8::20",
        ),
        (
            {"myipv4": "192.0.2.21", "myipv6": "2001:db8::21"},
            ["192.0.2.21"],
            ["2001:db8::21"],
            "good 192.0.2.21,2001:db8::21",
        ),
        ({"myip": "2001:db8:1:2::/64"}, [], ["2001:db8:1:2::"], "good 2001:db8:1:2::"),
        ({"myip": "::ffff:192.0.2.22"}, ["192.0.2.22"], [], "good 192.0.2.22"),
        ({"myip": "192.0.2.23,<ip6addr>"}, ["192.0.2.23"], [], "good 192.0.2.23"),
        (
            {
                "myip": "192.0.2.24",
                "system": "dyndns",
                "wildcard": "NOCHG",
                "mx": "x",
                "backmx": "NO",
                "offline": "NO",
            },
            ["192.0.2.24"],
            [],
            "good 192.0.2.24",
        ),
    ],
)
def test_it_understands_every_address_form(
    client, make_host, bind, params, expected_a, expected_aaaa, line
):
    host, secret = make_host()
    assert body(nic(client, host, secret, **params)) == line + "\n"
    assert bind.lookup(host.fqdn, "A") == expected_a
    assert bind.lookup(host.fqdn, "AAAA") == expected_aaaa


def test_it_keeps_both_families_of_a_dual_stack_host(client, make_host, bind):
    host, secret = make_host()
    nic(client, host, secret, myip="2001:db8::30")
    nic(client, host, secret, myip="192.0.2.30")
    assert bind.lookup(host.fqdn, "A") == ["192.0.2.30"]
    assert bind.lookup(host.fqdn, "AAAA") == ["2001:db8::30"]
    assert body(nic(client, host, secret, myip="192.0.2.30,2001:db8::30")) == (
        "nochg 192.0.2.30,2001:db8::30\n"
    )


def test_it_uses_the_client_address_when_myip_is_absent(client, make_host, bind):
    host, secret = make_host()
    response = client.get(
        "/nic/update", HTTP_AUTHORIZATION=basic(host.fqdn, secret), REMOTE_ADDR="192.0.2.40"
    )
    assert body(response) == "good 192.0.2.40\n"
    assert bind.lookup(host.fqdn) == ["192.0.2.40"]


def test_it_ignores_forwarded_for_from_untrusted_peers(client, make_host, settings):
    settings.DDNS_TRUSTED_PROXIES = ["10.0.0.0/8"]
    host, secret = make_host()
    response = client.get(
        "/nic/update",
        HTTP_AUTHORIZATION=basic(host.fqdn, secret),
        REMOTE_ADDR="192.0.2.41",
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )
    assert body(response) == "good 192.0.2.41\n"


def test_it_believes_forwarded_for_from_a_trusted_proxy(client, make_host, settings, bind):
    settings.DDNS_TRUSTED_PROXIES = ["10.0.0.0/8"]
    host, secret = make_host()
    response = client.get(
        "/nic/update",
        HTTP_AUTHORIZATION=basic(host.fqdn, secret),
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR="203.0.113.7, 198.51.100.42, 10.1.1.1",
    )
    assert body(response) == "good 198.51.100.42\n"
    assert bind.lookup(host.fqdn) == ["198.51.100.42"]


def test_it_answers_badauth_without_credentials(client, db):
    response = client.get("/nic/update", {"myip": "192.0.2.1"})
    assert response.status_code == 401
    assert body(response) == "badauth\n"
    assert response["WWW-Authenticate"].startswith("Basic")


def test_it_counts_wrong_secrets(client, make_host):
    host, _ = make_host()
    response = nic(client, host, "wrong-secret", myip="192.0.2.1")
    assert response.status_code == 401
    assert body(response) == "badauth\n"
    host.refresh_from_db()
    assert host.auth_faults == 1
    assert host.ipv4 is None


@pytest.mark.parametrize(
    "header",
    [
        "Basic",
        "Basic !!!",
        "Bearer abc",
        "Basic " + base64.b64encode(b"nocolon").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        "Basic " + "A" * 5000,
    ],
)
def test_it_answers_badauth_for_malformed_credentials(client, db, header):
    response = client.get("/nic/update", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert body(response) == "badauth\n"


def test_it_answers_badauth_for_an_unknown_host(client, db):
    response = client.get("/nic/update", HTTP_AUTHORIZATION=basic("nobody.dyn.test", "x"))
    assert body(response) == "badauth\n"


def test_the_old_secret_stops_working_after_a_reset(client, make_host):
    from domains import services

    host, old = make_host()
    new = services.host_reset_secret(host=host)
    assert body(nic(client, host, old, myip="192.0.2.2")) == "badauth\n"
    assert body(nic(client, host, new, myip="192.0.2.2")) == "good 192.0.2.2\n"


def test_it_answers_nohost_for_another_name(client, make_host, bob):
    host, secret = make_host()
    other, _ = make_host(owner=bob)
    response = nic(client, host, secret, hostname=other.fqdn, myip="192.0.2.3")
    assert response.status_code == 200
    assert body(response) == "nohost\n"
    other.refresh_from_db()
    assert other.ipv4 is None


def test_it_answers_notfqdn(client, make_host):
    host, secret = make_host()
    assert body(nic(client, host, secret, hostname="justalabel", myip="192.0.2.3")) == ("notfqdn\n")
    assert body(nic(client, host, secret, hostname="bad_name.dyn.test")) == "notfqdn\n"


def test_it_answers_one_line_per_hostname_in_order(client, make_host, bind):
    host, secret = make_host()
    response = nic(
        client, host, secret, hostname=f"x.nowhere.test,{host.fqdn},nodots", myip="192.0.2.4"
    )
    assert body(response) == "nohost\ngood 192.0.2.4\nnotfqdn\n"
    assert response.status_code == 200


def test_it_answers_numhost_past_twenty_names(client, make_host):
    host, secret = make_host()
    names = ",".join([host.fqdn] * 21)
    assert body(nic(client, host, secret, hostname=names, myip="192.0.2.5")) == "numhost\n"


def test_it_answers_abuse_for_flagged_hosts(client, make_host, bind):
    host, secret = make_host()
    Host.objects.filter(pk=host.pk).update(abuse_blocked=True)
    response = nic(client, host, secret, myip="192.0.2.6")
    assert body(response) == "abuse\n"
    assert bind.lookup(host.fqdn) == []


def test_it_answers_badagent_for_blocked_clients(client, make_host, settings):
    from dyndns2 import update as nic_module

    settings.DDNS_BLOCKED_USER_AGENTS = [r"^BadClient/"]
    nic_module._agent_patterns.cache_clear()
    host, secret = make_host()
    try:
        response = client.get(
            "/nic/update",
            {"myip": "192.0.2.7"},
            HTTP_AUTHORIZATION=basic(host.fqdn, secret),
            HTTP_USER_AGENT="BadClient/1.0",
        )
    finally:
        nic_module._agent_patterns.cache_clear()
    assert body(response) == "badagent\n"


@pytest.mark.parametrize(
    "myip",
    [
        "127.0.0.1",
        "0.0.0.0",
        "::1",
        "::",
        "224.0.0.1",
        "ff02::1",
        "169.254.1.1",
        "fe80::1",
        "not-an-ip",
        "300.1.1.1",
        "192.0.2.1,192.0.2.2",
        "1" * 2000,
        "192.0.2.1/99/x/" + "z" * 80,
    ],
)
def test_it_refuses_addresses_that_must_not_be_published(client, make_host, bind, myip):
    host, secret = make_host()
    response = nic(client, host, secret, myip=myip)
    assert response.status_code == 400
    assert body(response) == "dnserr\n"
    host.refresh_from_db()
    assert host.client_faults == 1
    assert host.client_fault_message
    assert host.ipv4 is None and host.ipv6 is None
    assert bind.lookup(host.fqdn) == []


def test_rejected_address_kinds_are_configurable(client, make_host, settings, bind):
    settings.DDNS_REJECTED_ADDRESS_KINDS = ["is_multicast"]
    host, secret = make_host()
    assert body(nic(client, host, secret, myip="127.0.0.2")) == "good 127.0.0.2\n"


def test_nic_delete_removes_the_family_of_myip(client, make_host, bind):
    host, secret = make_host()
    nic(client, host, secret, myip="192.0.2.50,2001:db8::50")
    response = nic(client, host, secret, path="/nic/delete", myip="0.0.0.0")
    assert body(response) == "deleted A\n"
    assert bind.lookup(host.fqdn, "A") == []
    assert bind.lookup(host.fqdn, "AAAA") == ["2001:db8::50"]
    assert body(nic(client, host, secret, path="/nic/delete", myip="::")) == "deleted AAAA\n"
    assert bind.lookup(host.fqdn, "AAAA") == []
    host.refresh_from_db()
    assert host.ipv4 is None and host.ipv6 is None


def test_nic_delete_needs_credentials(client, db):
    assert client.get("/nic/delete").status_code == 401


def test_myip_answers_the_callers_address(client, db):
    response = client.get("/myip", REMOTE_ADDR="198.51.100.9")
    assert body(response) == "198.51.100.9\n"
    response = client.get("/myip", REMOTE_ADDR="::ffff:198.51.100.10")
    assert body(response) == "198.51.100.10\n"


def test_it_refuses_other_methods(client, db):
    assert client.put("/nic/update").status_code == 405


def test_it_answers_badrequest_for_too_many_parameters(client, make_host):
    host, secret = make_host()
    query = "&".join(f"p{i}=1" for i in range(1200))
    response = client.get(f"/nic/update?{query}", HTTP_AUTHORIZATION=basic(host.fqdn, secret))
    assert response.status_code == 400
    assert body(response) == "dnserr\n"


def test_it_strips_control_characters_from_the_user_agent(client, make_host):
    host, secret = make_host()
    client.get(
        "/nic/update",
        {"myip": "192.0.2.60"},
        HTTP_AUTHORIZATION=basic(host.fqdn, secret),
        HTTP_USER_AGENT="evil\x00agent\x1b[31m",
    )
    host.refresh_from_db()
    assert host.ipv4_user_agent == "evilagent[31m"


def test_hosts_in_another_zone_are_updated_through_that_zones_server(client, bind, alice):
    from domains import services
    from tests.support.bind import unique_label

    locked = make_domain(bind, name="locked.test")
    host, secret = services.host_register(domain=locked, label=unique_label(), owner=alice)
    response = nic(client, host, secret, myip="192.0.2.70")
    # locked.test refuses every update: the client must be told, nothing stored.
    assert body(response) == "dnserr\n"
    host.refresh_from_db()
    assert host.ipv4 is None


def test_nochg_costs_one_query_and_no_write(client, make_host, django_assert_num_queries):
    host, secret = make_host()
    nic(client, host, secret, myip="192.0.2.16")
    with django_assert_num_queries(1):  # the authentication lookup, nothing else
        assert body(nic(client, host, secret, myip="192.0.2.16")) == "nochg 192.0.2.16\n"
