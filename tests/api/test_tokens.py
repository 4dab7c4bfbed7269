"""/api/v1/tokens/: listing, creating (the token shown once) and revoking tokens."""

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests.support.web import logged_in

pytestmark = pytest.mark.django_db


def test_alice_creates_a_token_that_works_and_is_shown_once(alice_api, make_host):
    host, _ = make_host()
    data = {
        "name": "vm",
        "scope": "hosts",
        "hosts": [host.pk],
        "expires_days": 30,
        "networks": ["192.0.2.0/24"],
    }
    response = alice_api.post("/api/v1/tokens/", data, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["token"].startswith(created["prefix"])
    assert created["hosts"] == [host.pk] and created["allowed_networks"] == ["192.0.2.0/24"]
    listed = alice_api.get("/api/v1/tokens/").json()["results"]
    assert created["id"] in [t["id"] for t in listed]
    assert all("token" not in t for t in listed)
    new = APIClient()
    new.credentials(HTTP_AUTHORIZATION=f"Bearer {created['token']}", REMOTE_ADDR="192.0.2.7")
    assert new.get(f"/api/v1/hosts/{host.pk}/").status_code == 200


def test_a_session_manages_tokens_too(alice):
    client = logged_in(alice)
    response = client.post("/api/v1/tokens/", {"name": "laptop"}, content_type="application/json")
    assert response.status_code == 201


def test_revoking_stops_the_token_and_keeps_it_listed(alice_api, alice):
    created = alice_api.post("/api/v1/tokens/", {"name": "short"}, format="json").json()
    assert alice_api.delete(f"/api/v1/tokens/{created['id']}/").status_code == 204
    assert ApiToken.objects.get(pk=created["id"]).revoked_at is not None
    shown = alice_api.get(f"/api/v1/tokens/{created['id']}/").json()
    assert shown["revoked_at"] is not None
    revoked = APIClient()
    revoked.credentials(HTTP_AUTHORIZATION=f"Bearer {created['token']}")
    assert revoked.get("/api/v1/hosts/").status_code == 401


@pytest.mark.parametrize(
    ("data", "field_or_message"),
    [
        ({"name": ""}, "name"),
        ({"name": "x", "scope": "root"}, "scope"),
        ({"name": "x", "expires_days": 0}, "expires_days"),
        ({"name": "x", "networks": ["not a network"]}, "not a network"),
        ({"name": "x", "scope": "hosts"}, "needs at least one host"),
        ({"name": "x", "hosts": [99999]}, "hosts"),
    ],
)
def test_bad_tokens_are_refused(alice_api, data, field_or_message):
    error = alice_api.post("/api/v1/tokens/", data, format="json").json()["error"]
    assert error["status"] == 400
    assert field_or_message in error["fields"] or field_or_message in error["message"]


def test_bobs_host_cannot_be_put_in_alices_token(alice_api, make_host, bob):
    host, _ = make_host(owner=bob)
    data = {"name": "x", "scope": "hosts", "hosts": [host.pk]}
    response = alice_api.post("/api/v1/tokens/", data, format="json")
    assert "hosts" in response.json()["error"]["fields"]


def test_bobs_token_does_not_exist_for_alice(alice_api, bob_api):
    created = bob_api.post("/api/v1/tokens/", {"name": "bobs"}, format="json").json()
    assert alice_api.get(f"/api/v1/tokens/{created['id']}/").status_code == 404
    assert alice_api.delete(f"/api/v1/tokens/{created['id']}/").status_code == 404
    assert ApiToken.objects.get(pk=created["id"]).revoked_at is None
