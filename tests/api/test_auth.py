"""Who may call the API and what each token scope reaches: sessions (with CSRF), tokens
that are read-only, limited to hosts, expired, revoked or bound to networks."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import tokens
from accounts.models import ApiToken
from domains.models import Host

pytestmark = pytest.mark.django_db


def with_token(raw: str, **meta) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}", **meta)
    return client


def test_without_credentials_it_is_a_401_asking_for_a_bearer_token(db):
    response = APIClient().get("/api/v1/hosts/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("raw", ["nonsense", "ddns_" + "x" * 43, "", "ddns_\x00"])
def test_an_unknown_token_is_a_401(db, raw):
    response = with_token(raw).get("/api/v1/hosts/")
    assert response.status_code == 401


def test_an_expired_token_is_refused(alice):
    token, raw = tokens.token_create(owner=alice, name="old", expires_days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = with_token(raw).get("/api/v1/hosts/")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "token expired"


def test_a_revoked_token_is_refused(alice):
    token, raw = tokens.token_create(owner=alice, name="gone")
    assert with_token(raw).get("/api/v1/hosts/").status_code == 200
    tokens.token_revoke(token=token)
    response = with_token(raw).get("/api/v1/hosts/")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "token revoked"


def test_a_network_bound_token_works_only_from_its_networks(alice):
    _token, raw = tokens.token_create(owner=alice, name="vm", networks=["192.0.2.0/24"])
    assert with_token(raw, REMOTE_ADDR="192.0.2.9").get("/api/v1/hosts/").status_code == 200
    response = with_token(raw, REMOTE_ADDR="198.51.100.9").get("/api/v1/hosts/")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "source address not allowed"


def test_the_source_behind_a_trusted_proxy_is_the_forwarded_one(alice, settings):
    settings.DDNS_TRUSTED_PROXIES = ["10.0.0.1"]
    _token, raw = tokens.token_create(owner=alice, name="vm", networks=["192.0.2.0/24"])
    proxied = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "192.0.2.9"}
    assert with_token(raw, **proxied).get("/api/v1/hosts/").status_code == 200
    # From anyone else the header is not believed.
    spoofed = {"REMOTE_ADDR": "198.51.100.9", "HTTP_X_FORWARDED_FOR": "192.0.2.9"}
    assert with_token(raw, **spoofed).get("/api/v1/hosts/").status_code == 401


def test_a_read_token_reads_but_never_writes(alice, make_host):
    host, _ = make_host()
    _token, raw = tokens.token_create(owner=alice, name="ro", scope="read")
    api = with_token(raw)
    assert api.get(f"/api/v1/hosts/{host.pk}/").status_code == 200
    assert api.get("/api/v1/zones/").status_code == 200
    response = api.patch(f"/api/v1/hosts/{host.pk}/", {"comment": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "this token may only read"
    assert api.post("/api/v1/hosts/", {"label": "x", "zone": "dyn.test"}).status_code == 403
    assert api.get("/api/v1/tokens/").status_code == 403


def test_a_hosts_token_updates_its_host_and_nothing_else(alice, make_host, bind):
    mine, _ = make_host()
    other, _ = make_host()
    _token, raw = tokens.token_create(owner=alice, name="vm", scope="hosts", hosts=[mine])
    api = with_token(raw)
    assert [h["id"] for h in api.get("/api/v1/hosts/").json()["results"]] == [mine.pk]
    response = api.patch(f"/api/v1/hosts/{mine.pk}/", {"ipv4": "192.0.2.150"}, format="json")
    assert response.status_code == 200
    assert bind.lookup(mine.fqdn) == ["192.0.2.150"]
    assert api.get(f"/api/v1/hosts/{mine.pk}/history/").status_code == 200
    # Alice's other host is not there for it at all.
    for method in ("get", "patch"):
        call = getattr(api, method)
        assert call(f"/api/v1/hosts/{other.pk}/", {"ipv4": "192.0.2.151"}).status_code == 404
    assert Host.objects.get(pk=other.pk).ipv4 is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/hosts/"),
        ("delete", "/api/v1/hosts/{mine}/"),
        ("post", "/api/v1/hosts/{mine}/secret/"),
        ("get", "/api/v1/zones/"),
        ("post", "/api/v1/zones/"),
        ("get", "/api/v1/groups/"),
        ("get", "/api/v1/tokens/"),
        ("post", "/api/v1/tokens/"),
    ],
)
def test_a_hosts_token_cannot_manage(alice, make_host, method, path):
    mine, _ = make_host()
    _token, raw = tokens.token_create(owner=alice, name="vm", scope="hosts", hosts=[mine])
    response = getattr(with_token(raw), method)(path.format(mine=mine.pk), {}, format="json")
    assert response.status_code == 403
    assert Host.objects.filter(pk=mine.pk).exists()


def test_a_hosts_token_cannot_reach_another_users_host(alice, bob, make_host):
    mine, _ = make_host()
    bobs, _ = make_host(owner=bob)
    _token, raw = tokens.token_create(owner=alice, name="vm", scope="hosts", hosts=[mine])
    assert with_token(raw).get(f"/api/v1/hosts/{bobs.pk}/").status_code == 404


def test_a_session_reads_and_writes_with_its_csrf_token(alice, make_host):
    host, _ = make_host()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get(f"/api/v1/hosts/{host.pk}/").status_code == 200
    response = client.patch(f"/api/v1/hosts/{host.pk}/", {"comment": "x"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    client.get("/api/v1/hosts/", HTTP_ACCEPT="text/html")  # the browsable API sets the cookie
    csrf = client.cookies["csrftoken"].value
    response = client.patch(
        f"/api/v1/hosts/{host.pk}/", {"comment": "x"}, format="json", HTTP_X_CSRFTOKEN=csrf
    )
    assert response.status_code == 200
    assert response.json()["comment"] == "x"


def test_too_many_requests_are_a_429_with_retry_after(alice_api, settings):
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": "3/minute"}
    }
    statuses = [alice_api.get("/api/v1/hosts/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = alice_api.get("/api/v1/hosts/")
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "throttled"
    # Anonymous callers reach only the schema (elsewhere they get 401 before counting).
    anonymous = [APIClient().get("/api/v1/schema/").status_code for _ in range(3)]
    assert anonymous == [200, 200, 429]
