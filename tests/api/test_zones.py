"""/api/v1/zones/: the zones alice may use, and her own zones, managed with the same signed
test write as the portal."""

import pytest

from domains.models import Domain
from tests.support.bind import KEY_NAME, make_domain

pytestmark = pytest.mark.django_db


def new_zone(bind, name: str = "dyn.test", **extra) -> dict:
    return {
        "name": name,
        "nameserver_host": "127.0.0.1",
        "nameserver_port": bind.port,
        "tsig_key_name": KEY_NAME,
        "tsig_secret": bind.secret,
        **extra,
    }


def test_the_list_shows_public_zones_and_her_own_but_not_bobs_private_one(
    alice_api, alice, bob, bind
):
    make_domain(bind, name="dyn.test", public=True)
    make_domain(bind, name="locked.test", public=False, owner=bob)
    make_domain(bind, name="own.test", public=False, owner=alice)
    zones = alice_api.get("/api/v1/zones/?ordering=-name").json()["results"]
    assert [(z["name"], z["mine"]) for z in zones] == [("own.test", True), ("dyn.test", False)]
    assert zones[0]["nameserver_port"] == bind.port
    assert zones[1]["nameserver_host"] is None  # how to reach a zone is its owner's business
    assert all("tsig_secret" not in z for z in zones)


def test_alice_adds_her_zone_after_a_signed_test_write(alice_api, alice, bind):
    response = alice_api.post("/api/v1/zones/", new_zone(bind, public=True), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["mine"] is True
    zone = Domain.objects.get(name="dyn.test")
    assert zone.owner == alice and zone.public


def test_a_zone_whose_server_refuses_the_test_write_is_not_added(alice_api, bind):
    response = alice_api.post("/api/v1/zones/", new_zone(bind, name="locked.test"), format="json")
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "dns_refused"
    assert not Domain.objects.filter(name="locked.test").exists()


def test_a_zone_managed_already_is_a_conflict(alice_api, domain, bind):
    response = alice_api.post("/api/v1/zones/", new_zone(bind), format="json")
    assert response.status_code == 409


def test_bad_zone_values_are_field_errors(alice_api, bind):
    data = new_zone(bind, nameserver_port=70000, tsig_algorithm="rot13")
    fields = alice_api.post("/api/v1/zones/", data, format="json").json()["error"]["fields"]
    assert set(fields) == {"nameserver_port", "tsig_algorithm"}
    response = alice_api.post("/api/v1/zones/", new_zone(bind, tsig_secret="%%%"), format="json")
    assert "base64" in response.json()["error"]["message"]


def test_alice_changes_checks_and_deletes_her_zone(alice_api, alice, bind):
    zone = make_domain(bind, public=False, owner=alice)
    response = alice_api.patch(
        f"/api/v1/zones/{zone.pk}/", {"public": True, "ttl": 120}, format="json"
    )
    assert response.status_code == 200, response.content
    zone.refresh_from_db()
    assert zone.public and zone.ttl == 120
    assert alice_api.post(f"/api/v1/zones/{zone.pk}/check/").status_code == 200
    assert alice_api.delete(f"/api/v1/zones/{zone.pk}/").status_code == 204
    assert not Domain.objects.filter(pk=zone.pk).exists()


def test_a_new_server_is_tested_before_it_is_stored(alice_api, alice, bind):
    zone = make_domain(bind, owner=alice)
    response = alice_api.patch(
        f"/api/v1/zones/{zone.pk}/", {"tsig_secret": "c2VjcmV0"}, format="json"
    )
    assert response.status_code == 502
    zone.refresh_from_db()
    assert zone.tsig_secret == bind.secret


@pytest.mark.parametrize(
    ("method", "path"),
    [("patch", ""), ("delete", ""), ("post", "check/")],
)
@pytest.mark.parametrize("public", [True, False])
def test_bobs_zone_cannot_be_managed_by_alice(alice_api, bob, bind, method, path, public):
    zone = make_domain(bind, public=public, owner=bob)
    call = getattr(alice_api, method)
    response = call(f"/api/v1/zones/{zone.pk}/{path}", {"public": False}, format="json")
    assert response.status_code == 404
    assert Domain.objects.get(pk=zone.pk).public == public
    # A public zone is one she may use, so she sees it; a private one not even that.
    assert alice_api.get(f"/api/v1/zones/{zone.pk}/").status_code == (200 if public else 404)
