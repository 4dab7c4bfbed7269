"""The EGI-compatible /nic JSON API: every call, every refusal, and OpenID Connect tokens
from the real local provider. alice owns hosts, bob is another user, carol, dave and erin
are federated people who arrive through the provider."""

import base64
import hashlib
import json
from urllib.parse import urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts import tokens
from domains import services
from domains.models import Host
from tests.support.bind import make_domain, unique_label
from tests.support.browser import OIDC_PROVIDER_ID
from tests.support.oidc import access_token, callback_url, consent
from tests.support.probe_servers import ProbeTarget, closed_port
from tests.support.web import basic

pytestmark = pytest.mark.django_db
CALLS = ["domains", "hosts", "register", "unregister", "generate_secret"]
HOST_FIELDS = {
    "fqdn", "name", "domain", "wildcard", "comment", "available", "client_faults",
    "server_faults", "abuse_blocked", "abuse", "last_update_ipv4", "tls_update_ipv4", "ipv4",
    "last_update_ipv6", "tls_update_ipv6", "ipv6",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # remembered token answers must not leak from one test into another
    yield
    cache.clear()


def token_of(user, scope="full", **extra) -> str:
    return tokens.token_create(owner=user, name="script", scope=scope, **extra)[1]


@pytest.fixture
def alice_token(alice):
    return token_of(alice)


@pytest.fixture
def bob_token(bob):
    return token_of(bob)


def call(client, endpoint, token, /, **params):
    return client.get(f"/nic/{endpoint}", params, HTTP_AUTHORIZATION=f"Bearer {token}")


def refused(response, status):
    assert response.status_code == status, response.content
    assert response.json()["status"] == "error"
    return response.json()["message"]


# --- Authentication -----------------------------------------------------------------------


@pytest.mark.parametrize("name", CALLS)
def test_every_call_needs_credentials(client, name):
    response = client.get(f"/nic/{name}", {"fqdn": "x.dyn.test"})
    assert refused(response, 401) == "Unauthorized access"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ddns_" + "x" * 43,  # shaped like a personal token, but no such token
        "Bearer ",
        "Bearer \x00\x01",
        "Bearer " + "a" * 10_000,
        "Basic " + "Zm9vOmJhcg==",
        "Token abc",
    ],
)
def test_it_refuses_bad_credentials(client, header):
    response = client.get("/nic/hosts", HTTP_AUTHORIZATION=header)
    assert refused(response, 401) == "Unauthorized access"


def test_a_host_secret_is_no_api_credential(client, make_host):
    host, secret = make_host()
    response = client.get("/nic/hosts", HTTP_AUTHORIZATION=basic(host.fqdn, secret))
    refused(response, 401)


def test_a_portal_session_is_not_enough(alice_client):
    # These calls change things on GET: a page must not be able to make a browser call them.
    refused(alice_client.get("/nic/register", {"fqdn": "x.dyn.test"}), 401)


def test_a_revoked_token_is_refused(client, alice):
    token, raw = tokens.token_create(owner=alice, name="old")
    tokens.token_revoke(token=token)
    refused(call(client, "hosts", raw), 401)


def test_a_read_token_lists_but_may_not_change_anything(client, alice, make_host):
    host, _ = make_host()
    raw = token_of(alice, scope="read")
    assert call(client, "hosts", raw).json()["hosts"][0]["fqdn"] == host.fqdn
    assert call(client, "domains", raw).status_code == 200
    for name in ("register", "unregister", "generate_secret"):
        assert "may not" in refused(call(client, name, raw, fqdn=host.fqdn), 403)
    assert Host.objects.filter(pk=host.pk).exists()


def test_a_token_for_named_hosts_may_not_register_or_unregister(client, alice, make_host):
    host, _ = make_host()
    raw = token_of(alice, scope="hosts", hosts=[host])
    refused(call(client, "register", raw, fqdn=f"{unique_label()}.dyn.test"), 403)
    refused(call(client, "unregister", raw, fqdn=host.fqdn), 403)


def test_other_methods_are_refused(client, alice_token):
    response = client.post("/nic/hosts", HTTP_AUTHORIZATION=f"Bearer {alice_token}")
    refused(response, 405)


# --- /nic/domains ---------------------------------------------------------------------------


def test_domains_lists_own_zones_as_private_and_other_public_ones(
    client, bind, domain, alice, bob, alice_token
):
    make_domain(bind, name="alice.test", owner=alice, public=False)
    make_domain(bind, name="bob.test", owner=bob, public=False)
    make_domain(bind, name="shared.test", owner=bob, public=True)
    services.domain_set_enabled(domain=make_domain(bind, name="off.test"), enabled=False)

    answer = call(client, "domains", alice_token).json()

    assert answer["status"] == "ok"
    assert answer["private"] == [
        {"name": "alice.test", "public": False, "available": True, "comment": "", "owner": "alice"}
    ]
    assert answer["public"] == [
        {"name": "dyn.test", "public": True, "available": True, "comment": "", "owner": None},
        {"name": "shared.test", "public": True, "available": True, "comment": "", "owner": "bob"},
    ]


# --- /nic/register --------------------------------------------------------------------------


def test_register_creates_the_host_and_hands_out_its_secret_once(client, domain, alice_token):
    label = unique_label()

    response = call(client, "register", alice_token, fqdn=f"{label}.dyn.test", comment="IM vm")

    assert response.status_code == 200
    answer = response.json()
    assert answer["status"] == "ok"
    assert answer["message"] == "Host registered."
    host = answer["host"]
    assert set(host) == HOST_FIELDS | {
        "update_secret", "IPv4_update_url_basic_auth", "IPv4_update_url_bearer_auth"
    }  # fmt: skip
    fqdn, secret = f"{label}.dyn.test", host["update_secret"]
    assert host | {"update_secret": "-"} == {
        "fqdn": fqdn, "name": label, "domain": "dyn.test", "wildcard": False,
        "comment": "IM vm", "available": True, "client_faults": 0, "server_faults": 0,
        "abuse_blocked": False, "abuse": False, "last_update_ipv4": None,
        "tls_update_ipv4": False, "ipv4": None, "last_update_ipv6": None,
        "tls_update_ipv6": False, "ipv6": None, "update_secret": "-",
        "IPv4_update_url_basic_auth": f"http://{fqdn}:{secret}@testserver/nic/update",
        "IPv4_update_url_bearer_auth":
            f"http://testserver/nic/update?hostname={fqdn}&myip=${{myip}}",
    }  # fmt: skip
    stored = Host.objects.get(fqdn=fqdn)
    assert stored.owner.username == "alice"
    assert len(secret) >= 32 and secret not in stored.secret_digest


def test_register_takes_name_and_domain(client, domain, alice_token):
    label = unique_label()
    answer = call(client, "register", alice_token, name=label, domain="DYN.test.").json()
    assert answer["host"]["fqdn"] == f"{label}.dyn.test"


def test_register_with_ip_publishes_the_address_at_once(client, bind, domain, alice_token):
    fqdn = f"{unique_label()}.dyn.test"

    host = call(client, "register", alice_token, fqdn=fqdn, ip="192.0.2.61").json()["host"]

    assert host["ipv4"] == "192.0.2.61"
    assert host["last_update_ipv4"] is not None
    assert bind.lookup(fqdn) == ["192.0.2.61"]


def test_register_with_an_ipv6_address(client, bind, domain, alice_token):
    fqdn = f"{unique_label()}.dyn.test"
    host = call(client, "register", alice_token, fqdn=fqdn, ip="2001:db8::61").json()["host"]
    assert (host["ipv4"], host["ipv6"]) == (None, "2001:db8::61")
    assert bind.lookup(fqdn, "AAAA") == ["2001:db8::61"]


@pytest.mark.parametrize("flag", ["true", "1", "yes", "TRUE"])
def test_register_a_wildcard_host(client, bind, domain, alice_token, flag):
    fqdn = f"{unique_label()}.dyn.test"

    host = call(client, "register", alice_token, fqdn=fqdn, wildcard=flag, ip="192.0.2.62")

    assert host.json()["host"]["wildcard"] is True
    assert bind.lookup(f"*.{fqdn}") == ["192.0.2.62"]
    assert bind.lookup(f"any.{fqdn}") == ["192.0.2.62"]


@pytest.mark.parametrize("flag", ["false", "0", "no", ""])
def test_register_a_plain_host(client, domain, alice_token, flag):
    fqdn = f"{unique_label()}.dyn.test"
    host = call(client, "register", alice_token, fqdn=fqdn, wildcard=flag).json()["host"]
    assert host["wildcard"] is False


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "Missing parameter: fqdn or name, domain"),
        ({"name": "x"}, "Missing parameter: domain"),
        ({"domain": "dyn.test"}, "Missing parameter: name"),
        ({"fqdn": "nodots"}, "Not a fully qualified host name"),
        ({"fqdn": "bad_label.dyn.test"}, "letters, digits or hyphens"),
        ({"fqdn": "-x.dyn.test"}, "letters, digits or hyphens"),
        ({"fqdn": "x\x00.dyn.test"}, "letters, digits or hyphens"),
        ({"fqdn": "x.dyn.test", "ip": "300.1.2.3"}, "Invalid IP address"),
        ({"fqdn": "x.dyn.test", "ip": "127.0.0.1"}, "loopback"),
        ({"fqdn": "x.dyn.test", "ip": "ff02::1"}, "multicast"),
        ({"fqdn": "x.dyn.test", "wildcard": "maybe"}, "Invalid value of wildcard"),
        ({"fqdn": "x.dyn.test", "comment": "a\nb"}, "control characters"),
        ({"fqdn": "x.dyn.test", "comment": "c" * 256}, "at most 255"),
        ({"fqdn": "x.dyn.test", "comment": "c" * 5000}, "too long"),
    ],
)
def test_register_refuses_malformed_requests(client, domain, alice_token, params, message):
    assert message in refused(call(client, "register", alice_token, **params), 400)
    assert not Host.objects.exists()


def test_register_refuses_an_unknown_zone(client, domain, alice_token):
    assert "Unknown domain" in refused(call(client, "register", alice_token, fqdn="x.nx.test"), 404)


def test_register_refuses_another_users_private_zone(client, bind, bob, alice_token):
    make_domain(bind, name="bob.test", owner=bob, public=False)
    refused(call(client, "register", alice_token, fqdn="x.bob.test"), 404)


def test_register_refuses_a_taken_name(client, domain, make_host, bob_token):
    host, _ = make_host()  # alice's
    message = refused(call(client, "register", bob_token, fqdn=host.fqdn), 409)
    assert "already taken" in message
    assert Host.objects.get(fqdn=host.fqdn).owner.username == "alice"


def test_register_refuses_a_reserved_name(client, domain, alice_token):
    assert "reserved" in refused(call(client, "register", alice_token, fqdn="www.dyn.test"), 403)


def test_register_stops_at_the_quota(client, domain, alice_token, settings):
    settings.DDNS_MAX_HOSTS_PER_USER = 1
    assert (
        call(client, "register", alice_token, fqdn=f"{unique_label()}.dyn.test").status_code == 200
    )
    message = refused(call(client, "register", alice_token, fqdn=f"{unique_label()}.dyn.test"), 403)
    assert "limit of 1 hosts" in message


def test_register_takes_nothing_back_when_the_server_is_down(client, private_bind, alice_token):
    make_domain(private_bind)
    private_bind.stop()
    fqdn = f"{unique_label()}.dyn.test"

    response = call(client, "register", alice_token, fqdn=fqdn, ip="192.0.2.63")

    assert "did not take the change" in refused(response, 503)
    assert response["Retry-After"]
    # The name stays free, so the client's retry can succeed once the server is back.
    assert not Host.objects.filter(fqdn=fqdn).exists()
    private_bind.start()
    assert call(client, "register", alice_token, fqdn=fqdn, ip="192.0.2.63").status_code == 200
    assert private_bind.lookup(fqdn) == ["192.0.2.63"]


def test_a_refusing_server_is_a_bad_gateway(client, bind, alice_token):
    make_domain(bind, name="locked.test")  # its server refuses every update
    response = call(
        client, "register", alice_token, fqdn=f"{unique_label()}.locked.test", ip="192.0.2.64"
    )
    refused(response, 502)


# --- /nic/hosts -----------------------------------------------------------------------------


def test_hosts_lists_only_the_callers_hosts_without_secrets(
    client, bind, domain, make_host, bob, alice_token
):
    mine, _ = make_host()
    make_host(owner=bob)
    other_zone = make_domain(bind, name="alice.test", public=True)
    also_mine, _ = make_host(on=other_zone)

    hosts = call(client, "hosts", alice_token).json()["hosts"]

    assert [h["fqdn"] for h in hosts] == [also_mine.fqdn, mine.fqdn]
    assert all(set(h) == HOST_FIELDS for h in hosts)
    only = call(client, "hosts", alice_token, domain="dyn.test").json()["hosts"]
    assert [h["fqdn"] for h in only] == [mine.fqdn]


def test_hosts_shows_the_stored_addresses(client, bind, make_host, alice_token):
    host, secret = make_host()
    client.get("/nic/update", {"myip": "192.0.2.65"}, HTTP_AUTHORIZATION=basic(host.fqdn, secret))
    listed = call(client, "hosts", alice_token).json()["hosts"][0]
    assert listed["ipv4"] == "192.0.2.65"
    assert listed["last_update_ipv4"].startswith("20")


def test_hosts_refuses_an_unknown_zone(client, domain, alice_token):
    assert "Unknown domain" in refused(call(client, "hosts", alice_token, domain="nx.test"), 404)


# --- /nic/unregister ------------------------------------------------------------------------


def test_unregister_removes_the_host_and_its_records(client, bind, domain, alice_token):
    fqdn = f"{unique_label()}.dyn.test"
    call(client, "register", alice_token, fqdn=fqdn, ip="192.0.2.66", wildcard="true", comment="c")
    assert bind.lookup(fqdn) == ["192.0.2.66"]

    answer = call(client, "unregister", alice_token, fqdn=fqdn).json()

    assert answer == {
        "status": "ok",
        "message": "Host unregistered.",
        "host": {
            "fqdn": fqdn, "name": fqdn.split(".")[0], "domain": "dyn.test",
            "wildcard": True, "comment": "c",
        },
    }  # fmt: skip
    assert not Host.objects.filter(fqdn=fqdn).exists()
    assert bind.lookup(fqdn) == []
    assert bind.lookup(f"*.{fqdn}") == []


def test_unregister_takes_name_and_domain(client, make_host, alice_token):
    host, _ = make_host()
    assert (
        call(client, "unregister", alice_token, name=host.label, domain="dyn.test").status_code
        == 200
    )
    assert not Host.objects.filter(pk=host.pk).exists()


def test_another_users_host_is_not_found(client, make_host, bob_token):
    host, _ = make_host()  # alice's
    for name in ("unregister", "generate_secret"):
        assert refused(call(client, name, bob_token, fqdn=host.fqdn), 404) == (
            f"Host not found: {host.fqdn}"
        )
    assert Host.objects.get(pk=host.pk).secret_digest == host.secret_digest


def test_unregister_of_a_missing_host_is_not_found(client, domain, alice_token):
    refused(call(client, "unregister", alice_token, fqdn="gone.dyn.test"), 404)


def test_an_operators_block_survives_unregister(client, make_host, alice_token):
    host, _ = make_host()
    services.host_block(host=host)
    assert "blocked" in refused(call(client, "unregister", alice_token, fqdn=host.fqdn), 403)
    assert Host.objects.filter(pk=host.pk).exists()


# --- /nic/generate_secret -------------------------------------------------------------------


def test_generate_secret_replaces_the_update_secret(client, bind, make_host, alice_token):
    host, old = make_host()

    answer = call(client, "generate_secret", alice_token, fqdn=host.fqdn).json()

    assert answer["status"] == "ok"
    new = answer["secret"]
    update = {"myip": "192.0.2.67"}
    assert (
        client.get("/nic/update", update, HTTP_AUTHORIZATION=basic(host.fqdn, old)).status_code
        == 401
    )
    good = client.get("/nic/update", update, HTTP_AUTHORIZATION=basic(host.fqdn, new))
    assert good.content == b"good 192.0.2.67\n"


# --- OpenID Connect access tokens -------------------------------------------------------------


@pytest.fixture
def oidc_token(oidc_login, live_server):
    """An access token of the local provider for a login name, by a real grant."""

    def get(login: str) -> str:
        return access_token(oidc_login, login, callback_url(live_server.url))

    return get


def digest_key(token: str) -> str:
    return "oidc:token:" + hashlib.sha256(token.encode()).hexdigest()


def test_an_access_token_registers_for_a_new_federated_account(client, domain, oidc_token):
    token = oidc_token("carol")
    fqdn = f"{unique_label()}.dyn.test"

    assert call(client, "register", token, fqdn=fqdn).status_code == 200

    account = SocialAccount.objects.get(provider=OIDC_PROVIDER_ID, uid="carol")
    assert Host.objects.get(fqdn=fqdn).owner == account.user
    assert account.user.email == "carol@example.org"
    assert account.user.emailaddress_set.get().verified
    assert not account.user.has_usable_password()
    assert [h["fqdn"] for h in call(client, "hosts", token).json()["hosts"]] == [fqdn]


def portal_login(live_server, login: str) -> Client:
    """A real first login through the provider, as the portal's button starts it."""
    browser = Client(HTTP_HOST=urlsplit(live_server.url).netloc)
    start = browser.post(f"/accounts/oidc/{OIDC_PROVIDER_ID}/login/")
    back = urlsplit(consent(start["Location"], login, callback_url(live_server.url)))
    landed = browser.get(f"{back.path}?{back.query}")
    assert landed.status_code == 302 and landed["Location"] == "/hosts/", landed
    return browser


def test_api_first_then_portal_login_is_one_user(client, live_server, domain, oidc_token):
    call(client, "register", oidc_token("dave"), fqdn=f"{unique_label()}.dyn.test")
    api_user = SocialAccount.objects.get(uid="dave").user

    browser = portal_login(live_server, "dave")

    assert int(browser.session["_auth_user_id"]) == api_user.pk
    assert SocialAccount.objects.filter(uid="dave").count() == 1
    assert browser.get("/hosts/").status_code == 200


def test_portal_login_first_then_api_is_one_user(client, live_server, domain, oidc_token):
    browser = portal_login(live_server, "erin")
    portal_user_id = int(browser.session["_auth_user_id"])

    fqdn = f"{unique_label()}.dyn.test"
    assert call(client, "register", oidc_token("erin"), fqdn=fqdn).status_code == 200

    assert Host.objects.get(fqdn=fqdn).owner_id == portal_user_id
    assert SocialAccount.objects.filter(uid="erin").count() == 1


def test_a_valid_token_is_remembered_under_its_digest_only(client, domain, oidc_token):
    token = oidc_token("frank")
    call(client, "hosts", token)
    user = SocialAccount.objects.get(uid="frank").user
    assert cache.get(digest_key(token)) == user.pk
    stored = getattr(cache, "_cache", {})  # the local-memory cache's own table
    assert not any(token in str(key) or token in str(value) for key, value in stored.items())


def test_a_refused_token_is_remembered_briefly(client, oidc_login, settings):
    assert refused(call(client, "hosts", "not-a-token-of-anyone"), 401) == "Unauthorized access"
    assert cache.get(digest_key("not-a-token-of-anyone")) == "rejected"


def test_a_disabled_federated_user_is_refused(client, domain, oidc_token):
    token = oidc_token("grace")
    call(client, "hosts", token)
    grace = SocialAccount.objects.get(uid="grace").user
    type(grace).objects.filter(pk=grace.pk).update(is_active=False)
    refused(call(client, "hosts", token), 401)


def test_no_new_federated_account_while_sign_up_is_closed(client, oidc_token, settings):
    token = oidc_token("heidi")
    settings.DDNS_SIGNUP_OPEN = False
    refused(call(client, "hosts", token), 401)
    assert not SocialAccount.objects.filter(uid="heidi").exists()


def configure_provider(settings, server_url: str) -> None:
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": "down",
                    "name": "Down",
                    "client_id": "c",
                    "secret": "s",
                    "settings": {"server_url": server_url},
                }
            ]
        }
    }


def test_an_unreachable_provider_is_a_temporary_failure(client, settings):
    configure_provider(settings, f"http://127.0.0.1:{closed_port()}")
    response = call(client, "hosts", "some-opaque-access-token")
    assert "try again later" in refused(response, 503)
    assert response["Retry-After"]
    assert cache.get(digest_key("some-opaque-access-token")) is None  # asked again next time


def test_a_failing_provider_is_a_temporary_failure(client, settings):
    failing = ProbeTarget()
    failing.answer.status = 500
    try:
        configure_provider(settings, f"http://127.0.0.1:{failing.port}")
        refused(call(client, "hosts", "some-opaque-access-token"), 503)
    finally:
        failing.stop()


def jwt_from(issuer: str) -> str:
    """A JWT-shaped access token naming its issuer (unsigned: only the issuer is read)."""

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part({'iss': issuer, 'sub': 'x'})}.c2ln"


def test_a_jwt_is_shown_only_to_the_provider_that_issued_it(client, settings):
    provider = ProbeTarget()
    issuer = f"http://127.0.0.1:{provider.port}"
    document = {"issuer": issuer, "userinfo_endpoint": f"{issuer}/me"}
    provider.answer.body = json.dumps(document).encode()
    try:
        configure_provider(settings, issuer)
        refused(call(client, "hosts", jwt_from("https://elsewhere.example")), 401)
        assert [seen.path for seen in provider.seen] == ["/.well-known/openid-configuration"]

        mine = jwt_from(issuer)
        # This one is asked about; its answer (the discovery document again) has no subject.
        refused(call(client, "hosts", mine), 503)
        assert provider.seen[-1].path == "/me"
        assert provider.seen[-1].headers["Authorization"] == f"Bearer {mine}"
    finally:
        provider.stop()


# --- Whatever arrives -----------------------------------------------------------------------

text = st.one_of(
    st.binary(max_size=60).map(lambda b: b.decode("latin-1")),
    st.sampled_from(["dyn.test", "x.dyn.test", "www", "192.0.2.90", "true", "", "*"]),
)
params = st.dictionaries(
    st.sampled_from(["fqdn", "name", "domain", "ip", "wildcard", "comment"]), text, max_size=5
)


@pytest.mark.django_db(transaction=True)
@hypothesis_settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(endpoint=st.sampled_from(CALLS), query=params)
def test_no_request_gets_a_server_error(client, domain, alice_token, endpoint, query):
    response = call(client, endpoint, alice_token, **query)
    assert response.status_code in {200, 400, 403, 404, 409}, response.content
    assert response.json()["status"] in {"ok", "error"}
