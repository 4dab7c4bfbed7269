"""/api/v1/hosts/: what alice can do with her hosts through the API, checked against the
real named, and that the same rules as the portal's decide (quota, reserved, taken)."""

import pytest
from django.test import Client

from domains import services
from domains.models import Host
from tests.support.bind import make_domain, unique_label
from tests.support.web import body, nic

pytestmark = pytest.mark.django_db


def error_of(response) -> dict:
    data = response.json()
    assert set(data) == {"error"}
    assert set(data["error"]) == {"status", "code", "message", "fields"}
    assert data["error"]["status"] == response.status_code
    return data["error"]


def test_alice_creates_a_host_and_its_secret_works_for_dyndns2(alice_api, domain):
    label = unique_label()
    response = alice_api.post(
        "/api/v1/hosts/", {"label": label, "zone": "dyn.test", "comment": "vm"}, format="json"
    )
    assert response.status_code == 201
    data = response.json()
    assert data["fqdn"] == f"{label}.dyn.test" and data["comment"] == "vm"
    host = Host.objects.get(pk=data["id"])
    assert body(nic(Client(), host, data["secret"], myip="192.0.2.140")) == "good 192.0.2.140\n"
    shown = alice_api.get(f"/api/v1/hosts/{host.pk}/").json()
    assert "secret" not in shown and shown["ipv4"] == "192.0.2.140"


@pytest.mark.parametrize(
    ("label", "status", "code"),
    [("www", 400, "reserved"), ("bad_name", 400, "invalid"), ("x" * 300, 400, "invalid")],
)
def test_bad_and_reserved_names_are_refused_as_in_the_portal(
    alice_api, domain, label, status, code
):
    response = alice_api.post("/api/v1/hosts/", {"label": label, "zone": "dyn.test"}, format="json")
    assert response.status_code == status
    assert error_of(response)["code"] == code


def test_a_bad_label_is_a_field_error(alice_api, domain):
    response = alice_api.post("/api/v1/hosts/", {"label": "-x", "zone": "dyn.test"}, format="json")
    assert "letters, digits" in error_of(response)["fields"]["label"][0]


def test_a_taken_name_is_a_conflict(alice_api, make_host, bob):
    host, _ = make_host(owner=bob)
    response = alice_api.post(
        "/api/v1/hosts/", {"label": host.label, "zone": "dyn.test"}, format="json"
    )
    assert response.status_code == 409
    assert error_of(response)["message"] == f"{host.fqdn} is already taken"


def test_the_quota_is_enforced(alice_api, make_host, settings):
    settings.DDNS_MAX_HOSTS_PER_USER = 1
    make_host()
    response = alice_api.post(
        "/api/v1/hosts/", {"label": "second", "zone": "dyn.test"}, format="json"
    )
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "quota" and "limit of 1 hosts" in error["message"]


def test_a_zone_that_does_not_take_hosts_from_alice_is_refused(alice_api, bob, bind):
    make_domain(bind, name="locked.test", public=False, owner=bob)
    response = alice_api.post(
        "/api/v1/hosts/", {"label": "sneaky", "zone": "locked.test"}, format="json"
    )
    assert response.status_code == 400
    assert "zone" in error_of(response)["fields"]


def test_the_list_is_paginated_filtered_by_zone_and_ordered(alice_api, make_host, bind, alice):
    other = make_domain(bind, name="locked.test", public=True)
    first, _ = make_host(label="b-" + unique_label())
    second, _ = make_host(label="a-" + unique_label())
    make_host(on=other)
    page = alice_api.get("/api/v1/hosts/?zone=dyn.test&ordering=fqdn").json()
    assert page["count"] == 2
    assert [h["fqdn"] for h in page["results"]] == [second.fqdn, first.fqdn]
    page = alice_api.get("/api/v1/hosts/?ordering=-fqdn&limit=1&offset=1").json()
    assert page["count"] == 3 and len(page["results"]) == 1 and page["next"]
    assert alice_api.get("/api/v1/hosts/?zone=locked.test").json()["count"] == 1
    assert alice_api.get("/api/v1/hosts/?zone=%00").json()["count"] == 0


def test_alice_publishes_and_removes_addresses(alice_api, make_host, bind):
    host, _ = make_host()
    response = alice_api.patch(
        f"/api/v1/hosts/{host.pk}/",
        {"ipv4": "192.0.2.141", "ipv6": "2001:db8::141", "comment": "moved"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["comment"] == "moved"
    assert bind.lookup(host.fqdn) == ["192.0.2.141"]
    assert bind.lookup(host.fqdn, "AAAA") == ["2001:db8::141"]
    response = alice_api.patch(f"/api/v1/hosts/{host.pk}/", {"ipv6": None}, format="json")
    assert response.json()["ipv6"] is None
    assert bind.lookup(host.fqdn, "AAAA") == []
    history = alice_api.get(f"/api/v1/hosts/{host.pk}/history/").json()
    assert history["count"] == 3
    assert {e["new_address"] for e in history["results"]} == {"192.0.2.141", "2001:db8::141", None}
    assert history["results"][0]["user_agent"].startswith("api token")


@pytest.mark.parametrize(
    ("field", "value"),
    [("ipv4", "127.0.0.1"), ("ipv4", "2001:db8::1"), ("ipv6", "192.0.2.1"), ("ipv4", "nope")],
)
def test_unpublishable_addresses_are_refused(alice_api, make_host, field, value):
    host, _ = make_host()
    response = alice_api.patch(f"/api/v1/hosts/{host.pk}/", {field: value}, format="json")
    assert response.status_code == 400
    assert field in error_of(response)["fields"]


def test_a_new_secret_replaces_the_old_one(alice_api, make_host):
    host, old = make_host()
    response = alice_api.post(f"/api/v1/hosts/{host.pk}/secret/")
    new = response.json()["secret"]
    assert body(nic(Client(), host, old, myip="192.0.2.142")).startswith("badauth")
    assert body(nic(Client(), host, new, myip="192.0.2.142")) == "good 192.0.2.142\n"


def test_deleting_a_host_removes_its_records(alice_api, make_host, bind):
    host, secret = make_host()
    nic(Client(), host, secret, myip="192.0.2.143")
    assert alice_api.delete(f"/api/v1/hosts/{host.pk}/").status_code == 204
    assert bind.lookup(host.fqdn) == []
    assert not Host.objects.filter(pk=host.pk).exists()


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "", None),
        ("patch", "", {"comment": "mine now"}),
        ("delete", "", None),
        ("get", "history/", None),
        ("post", "secret/", None),
    ],
)
def test_bobs_host_does_not_exist_for_alice(alice_api, make_host, bob, method, path, data):
    host, _ = make_host(owner=bob)
    response = getattr(alice_api, method)(f"/api/v1/hosts/{host.pk}/{path}", data, format="json")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert Host.objects.get(pk=host.pk).comment == ""
    assert alice_api.get("/api/v1/hosts/").json()["count"] == 0


def test_an_unanswering_server_is_a_503_with_retry_after(alice, token_client, private_bind):
    zone = make_domain(private_bind)
    api = token_client(alice)
    host, _ = services.host_register(domain=zone, label=unique_label(), owner=alice)
    private_bind.stop()
    response = api.patch(f"/api/v1/hosts/{host.pk}/", {"ipv4": "192.0.2.144"}, format="json")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    error = error_of(response)
    assert error["code"] == "dns_unavailable"
    assert error["message"].startswith("the DNS server did not accept the change")


def test_a_refusing_server_is_a_502(alice, token_client, bind):
    zone = make_domain(bind, name="locked.test")
    api = token_client(alice)
    host, _ = services.host_register(domain=zone, label=unique_label(), owner=alice)
    response = api.patch(f"/api/v1/hosts/{host.pk}/", {"ipv4": "192.0.2.145"}, format="json")
    assert response.status_code == 502
    assert error_of(response)["code"] == "dns_refused"
    assert Host.objects.get(pk=host.pk).ipv4 is None


def test_the_wildcard_flag_is_set_at_creation_and_by_patch(alice_api, domain, bind):
    label = unique_label()
    created = alice_api.post(
        "/api/v1/hosts/", {"label": label, "zone": "dyn.test", "wildcard": True}, format="json"
    ).json()
    assert created["wildcard"] is True
    url = f"/api/v1/hosts/{created['id']}/"
    assert alice_api.patch(url, {"ipv4": "192.0.2.141"}, format="json").status_code == 200
    assert bind.lookup(f"ingress.{label}.dyn.test", "A") == ["192.0.2.141"]

    response = alice_api.patch(url, {"wildcard": False}, format="json")

    assert response.status_code == 200 and response.json()["wildcard"] is False
    assert bind.lookup(f"ingress.{label}.dyn.test", "A") == []
    assert bind.lookup(f"{label}.dyn.test", "A") == ["192.0.2.141"]
