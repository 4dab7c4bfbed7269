"""Who may reach alice's objects, on every interface that names one.

alice owns a private zone, hosts in it, a high-availability group and an API token. On
each endpoint: nobody logged in is sent to log in (pages) or answered 401 (machines);
alice gets her answer; bob, a stranger, gets 404, the answer for something that does not
exist, never 403 and never the object; a token of scope hosts that names only alice's
other host gets 404 too; a read-only token may read but not write (403).
"""

import json
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.test import Client

from accounts import tokens
from domains import services
from tests.support.bind import make_domain, unique_label
from tests.support.groups import Members
from tests.support.limits import _limits_of_this_test  # noqa: F401  (own Redis keys)
from tests.support.web import basic, logged_in
from tests.support.world import World, build_world

pytestmark = pytest.mark.django_db

ANONYMOUS, OWNER, STRANGER, OTHER_HOSTS_TOKEN, READ_TOKEN = (
    "anonymous", "owner", "stranger", "token for other hosts", "read-only token",
)  # fmt: skip


@pytest.fixture(autouse=True)
def _fresh_counts(settings):
    settings.DDNS_HA_PRIVATE_TARGETS = True  # group members on loopback
    cache.clear()  # request rates and failure throttles are counted in the cache
    yield
    cache.clear()


@pytest.fixture
def world(bind, alice) -> World:
    members = Members(2)
    yield build_world(bind, alice, members)
    members.stop()


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # formatted with World.ids()
    body: dict | None = None
    owner_status: int = 200

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    def send(self, client: Client, world: World, **headers):
        path = self.path.format(**world.ids())
        if self.method in ("GET", "DELETE"):
            return getattr(client, self.method.lower())(path, **headers)
        data = json.dumps(self.body or {})
        return getattr(client, self.method.lower())(
            path, data, content_type="application/json", **headers
        )


PORTAL = [
    Call("GET", "/hosts/{host}/"),
    Call("POST", "/hosts/{host}/secret/"),
    Call("GET", "/hosts/{host}/delete/"),
    Call("POST", "/hosts/{host}/delete/", owner_status=302),
    Call("GET", "/zones/{zone}/"),
    Call("POST", "/zones/{zone}/public/", owner_status=302),
    Call("GET", "/zones/{zone}/delete/"),
    Call("GET", "/ha/{group}/"),
    Call("GET", "/ha/{group}/edit/"),
    Call("GET", "/ha/{group}/delete/"),
    Call("POST", "/tokens/{token}/revoke/", owner_status=302),
]

API = [
    Call("GET", "/api/v1/hosts/{host}/"),
    Call("PATCH", "/api/v1/hosts/{host}/", {"comment": "changed"}),
    Call("GET", "/api/v1/hosts/{host}/history/"),
    Call("POST", "/api/v1/hosts/{host}/secret/"),
    Call("DELETE", "/api/v1/hosts/{host}/", owner_status=204),
    Call("GET", "/api/v1/zones/{zone}/"),
    Call("PATCH", "/api/v1/zones/{zone}/", {"ttl": 120}),
    Call("DELETE", "/api/v1/zones/{zone}/", owner_status=204),
    Call("GET", "/api/v1/groups/{group}/"),
    Call("PATCH", "/api/v1/groups/{group}/", {"interval": 5}),
    Call("GET", "/api/v1/groups/{group}/events/"),
    Call("DELETE", "/api/v1/groups/{group}/", owner_status=204),
    Call("GET", "/api/v1/tokens/{token}/"),
    Call("DELETE", "/api/v1/tokens/{token}/", owner_status=204),
]

NIC_JSON = [
    Call("GET", "/nic/generate_secret?fqdn={fqdn}"),
    Call("GET", "/nic/unregister?fqdn={fqdn}"),
]


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def token_of(user, **options) -> str:
    return tokens.token_create(owner=user, name="caller", **options)[1]


# --- Portal pages -----------------------------------------------------------------------


@pytest.mark.parametrize("call", PORTAL, ids=str)
def test_portal_pages_send_anonymous_visitors_to_log_in(call, world):
    response = call.send(Client(), world)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("call", PORTAL, ids=str)
def test_portal_pages_serve_the_owner(call, world, alice):
    response = call.send(logged_in(alice), world)
    assert response.status_code == call.owner_status


@pytest.mark.parametrize("call", PORTAL, ids=str)
def test_portal_pages_hide_the_owners_objects_from_a_stranger(call, world, bob):
    response = call.send(logged_in(bob), world)
    assert response.status_code == 404
    assert world.host.fqdn.encode() not in response.content


# --- REST API ---------------------------------------------------------------------------


@pytest.mark.parametrize("call", API, ids=str)
def test_the_api_answers_anonymous_callers_401(call, world):
    response = call.send(Client(), world)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("call", API, ids=str)
def test_the_api_serves_the_owner(call, world, alice):
    response = call.send(Client(), world, **bearer(token_of(alice)))
    assert response.status_code == call.owner_status, response.content


@pytest.mark.parametrize("call", API, ids=str)
def test_the_api_hides_the_owners_objects_from_a_stranger(call, world, bob):
    for client, headers in ((Client(), bearer(token_of(bob))), (logged_in(bob), {})):
        response = call.send(client, world, **headers)
        assert response.status_code == 404, str(call)
        assert world.host.fqdn.encode() not in response.content


@pytest.mark.parametrize("call", [c for c in API if "/hosts/" in c.path], ids=str)
def test_a_token_for_other_hosts_does_not_reach_this_one(call, world, alice):
    raw = token_of(alice, scope="hosts", hosts=[world.other_host])
    response = call.send(Client(), world, **bearer(raw))
    # Actions a hosts token may take on its own hosts find nothing; the others are refused.
    assert response.status_code in (403, 404)
    assert world.host.fqdn.encode() not in response.content


@pytest.mark.parametrize("call", API, ids=str)
def test_a_read_only_token_reads_but_never_writes(call, world, alice):
    response = call.send(Client(), world, **bearer(token_of(alice, scope="read")))
    expected = 200 if call.method == "GET" and "/tokens/" not in call.path else 403
    assert response.status_code == expected, response.content


def test_api_lists_show_a_stranger_none_of_the_owners_objects(world, bob):
    client = Client()
    for kind in ("hosts", "zones", "groups", "tokens"):
        response = client.get(f"/api/v1/{kind}/", **bearer(token_of(bob)))
        assert response.status_code == 200
        assert response.json()["results"] == [] or all(
            item["id"] != world.ids()[kind.rstrip("s")] for item in response.json()["results"]
        )


# --- /nic JSON --------------------------------------------------------------------------


@pytest.mark.parametrize("call", NIC_JSON, ids=str)
def test_nic_json_answers_anonymous_callers_401(call, world):
    assert call.send(Client(), world).status_code == 401


@pytest.mark.parametrize("call", NIC_JSON, ids=str)
def test_nic_json_serves_the_owner(call, world, alice):
    response = call.send(Client(), world, **bearer(token_of(alice)))
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize("call", NIC_JSON, ids=str)
def test_nic_json_answers_a_stranger_as_for_a_missing_host(call, world, bob):
    raw = token_of(bob)
    theirs = call.send(Client(), world, **bearer(raw))
    missing = Client().get(
        call.path.split("?")[0], {"fqdn": "missing." + world.zone.name}, **bearer(raw)
    )
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["message"].split(":")[0] == missing.json()["message"].split(":")[0]


@pytest.mark.parametrize("call", NIC_JSON, ids=str)
def test_nic_json_refuses_narrow_tokens_its_management_calls(call, world, alice):
    for options in ({"scope": "read"}, {"scope": "hosts", "hosts": [world.host]}):
        response = call.send(Client(), world, **bearer(token_of(alice, **options)))
        assert response.status_code == 403


def test_nic_json_lists_only_the_callers_hosts(world, bob):
    response = Client().get("/nic/hosts", **bearer(token_of(bob)))
    assert response.status_code == 200
    assert world.host.fqdn not in json.dumps(response.json())


# --- ACME -------------------------------------------------------------------------------


def present(world: World, fqdn: str | None = None, **headers):
    record = {"fqdn": f"_acme-challenge.{fqdn or world.host.fqdn}.", "value": "a" * 43}
    return Client().post(
        "/acme/httpreq/present", json.dumps(record), content_type="application/json", **headers
    )


def acmedns(world: World, user: str, key: str, fqdn: str | None = None):
    body = json.dumps({"subdomain": fqdn or world.host.fqdn, "txt": "b" * 43})
    return Client().post(
        "/acme-dns/update", body, content_type="application/json",
        HTTP_X_API_USER=user, HTTP_X_API_KEY=key,
    )  # fmt: skip


def test_acme_httpreq_needs_credentials(world):
    assert present(world).status_code == 401


def test_acme_httpreq_serves_the_host_and_its_owners_token(world, alice):
    assert (
        present(world, HTTP_AUTHORIZATION=basic(world.host.fqdn, world.secret)).status_code == 200
    )
    assert present(world, **bearer(token_of(alice))).status_code == 200


def test_acme_httpreq_answers_a_stranger_as_for_a_missing_host(world, bob):
    raw = token_of(bob)
    theirs = present(world, **bearer(raw))
    missing = present(world, "missing." + world.zone.name, **bearer(raw))
    assert theirs.status_code == missing.status_code == 403
    missing_name = "missing." + world.zone.name
    assert theirs.json()["error"].replace(world.host.fqdn, missing_name) == missing.json()["error"]


def test_acme_httpreq_refuses_narrow_tokens(world, alice):
    other = token_of(alice, scope="hosts", hosts=[world.other_host])
    assert present(world, **bearer(other)).status_code == 403
    assert present(world, **bearer(token_of(alice, scope="read"))).status_code == 403


def test_acme_dns_answers_strangers_and_narrow_tokens_forbidden(world, alice, bob):
    assert acmedns(world, "", "").status_code == 401
    assert acmedns(world, world.host.fqdn, world.secret).status_code == 200
    for user, key in (
        (bob.username, token_of(bob)),
        (alice.username, token_of(alice, scope="read")),
        (alice.username, token_of(alice, scope="hosts", hosts=[world.other_host])),
    ):
        response = acmedns(world, user, key)
        assert (response.status_code, response.json()) == (401, {"error": "forbidden"})


# --- dyndns2 ----------------------------------------------------------------------------


def nic_update(fqdn: str, authorization: str | None = None):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    return Client().get("/nic/update", {"hostname": fqdn, "myip": "192.0.2.90"}, **headers)


def test_dyndns2_without_credentials_is_401(world):
    response = nic_update(world.host.fqdn)
    assert (response.status_code, response.content) == (401, b"badauth\n")


def test_dyndns2_with_another_hosts_secret_answers_nohost_as_for_a_missing_name(world, bind, bob):
    bobs_zone = make_domain(bind, name="locked.test")  # public; nothing is written to it
    bobs_host, bobs_secret = services.host_register(
        domain=bobs_zone, label=unique_label(), owner=bob
    )
    auth = basic(bobs_host.fqdn, bobs_secret)
    theirs = nic_update(world.host.fqdn, auth)
    missing = nic_update("missing." + world.zone.name, auth)
    assert theirs.content == missing.content == b"nohost\n"
    assert world.host.ipv4 is None


def test_dyndns2_with_a_strangers_token_answers_nohost_as_for_a_missing_name(world, bob):
    auth = basic(bob.username, token_of(bob))
    theirs = nic_update(world.host.fqdn, auth)
    missing = nic_update("missing." + world.zone.name, auth)
    assert theirs.content == missing.content == b"nohost\n"


def test_dyndns2_with_a_token_for_other_hosts_answers_nohost(world, alice):
    raw = token_of(alice, scope="hosts", hosts=[world.other_host])
    assert nic_update(world.host.fqdn, basic(alice.username, raw)).content == b"nohost\n"
    assert nic_update(world.other_host.fqdn, f"Bearer {raw}").content == b"good 192.0.2.90\n"


def test_dyndns2_with_a_read_only_token_is_refused(world, alice):
    raw = token_of(alice, scope="read")
    response = nic_update(world.host.fqdn, f"Bearer {raw}")
    assert response.content == b"badauth\n"
