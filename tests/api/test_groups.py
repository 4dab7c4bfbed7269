"""/api/v1/groups/: high-availability groups through failover.services, against members
on loopback and the real named."""

import pytest

from failover.models import Group, Member
from tests.support.groups import Members, make_group, served

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _loopback_targets(settings):
    settings.DDNS_HA_PRIVATE_TARGETS = True  # members are probed on 127.0.0.x


@pytest.fixture
def members():
    servers = Members(2)
    yield servers
    servers.stop()


def members_input(members: Members) -> list[dict]:
    return [
        {"address": members.published(i), "check_target": server.host}
        for i, server in enumerate(members.servers)
    ]


def test_alice_makes_a_group_and_its_primary_is_published(alice_api, make_host, members, bind):
    host, _ = make_host()
    data = {
        "host": host.pk,
        "members": members_input(members),
        "check_kind": "http",
        "check_port": members.port,
        "headers": [["Host", "vault.example.org"]],
    }
    response = alice_api.post("/api/v1/groups/", data, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["webhook_secret"] and created["fqdn"] == host.fqdn
    assert [m["published"] for m in created["members"]] == [True, False]
    group = Group.objects.get(pk=created["id"])
    assert served(bind, group) == ["192.0.2.21"]
    shown = alice_api.get(f"/api/v1/groups/{group.pk}/").json()
    assert "webhook_secret" not in shown and shown["headers"] == [["Host", "vault.example.org"]]
    assert alice_api.get("/api/v1/groups/?zone=dyn.test&ordering=fqdn").json()["count"] == 1
    assert alice_api.get("/api/v1/groups/?zone=other.test").json()["count"] == 0


def test_bad_group_settings_are_refused(alice_api, make_host, members):
    host, _ = make_host()
    data = {"host": host.pk, "members": members_input(members), "expected_codes": "200-999"}
    response = alice_api.post("/api/v1/groups/", data, format="json")
    assert response.status_code == 400
    assert "expected_codes" in response.json()["error"]["fields"]
    data = {"host": host.pk, "members": [{"address": "127.0.0.1"}]}
    response = alice_api.post("/api/v1/groups/", data, format="json")
    assert "loopback" in response.json()["error"]["message"]
    assert not Group.objects.exists()


def test_alice_changes_the_group_and_its_members(alice_api, alice, domain, members, bind):
    group = make_group(domain, alice, members)
    url = f"/api/v1/groups/{group.pk}/"
    response = alice_api.patch(url, {"ttl": 45, "mode": "all-healthy"}, format="json")
    assert response.status_code == 200, response.content
    group.refresh_from_db()
    assert (group.ttl, group.mode) == (45, "all-healthy")
    response = alice_api.post(f"{url}members/", {"address": "192.0.2.99"}, format="json")
    assert response.status_code == 201
    added = response.json()["id"]
    first = group.members.order_by("priority").first()
    response = alice_api.patch(
        f"{url}members/{first.pk}/", {"switch": "maintenance"}, format="json"
    )
    assert response.json()["switch"] == "maintenance"
    assert alice_api.delete(f"{url}members/{added}/").status_code == 204
    assert not Member.objects.filter(pk=added).exists()
    kinds = [e["kind"] for e in alice_api.get(f"{url}events/").json()["results"]]
    assert "switch" in kinds
    assert alice_api.delete(url).status_code == 204
    assert not Group.objects.filter(pk=group.pk).exists()


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "", None),
        ("patch", "", {"ttl": 99}),
        ("delete", "", None),
        ("get", "events/", None),
        ("post", "members/", {"address": "192.0.2.98"}),
        ("delete", "members/{member}/", None),
        ("patch", "members/{member}/", {"switch": "forced-down"}),
    ],
)
def test_bobs_group_does_not_exist_for_alice(alice_api, bob, domain, members, method, path, data):
    group = make_group(domain, bob, members)
    member = group.members.first()
    call = getattr(alice_api, method)
    response = call(
        f"/api/v1/groups/{group.pk}/{path.format(member=member.pk)}", data, format="json"
    )
    assert response.status_code == 404
    assert Group.objects.get(pk=group.pk).ttl != 99
    assert Member.objects.get(pk=member.pk).switch == "auto"


def test_alice_cannot_make_a_group_of_bobs_host(alice_api, make_host, bob, members):
    host, _ = make_host(owner=bob)
    data = {"host": host.pk, "members": members_input(members)}
    response = alice_api.post("/api/v1/groups/", data, format="json")
    assert "host" in response.json()["error"]["fields"]
