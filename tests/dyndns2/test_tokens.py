"""/nic/update with personal API tokens, checked against real BIND."""

import pytest
from django.utils import timezone

from accounts import oidc
from accounts.models import ApiToken
from accounts.tokens import token_create, token_revoke
from domains.models import Host
from tests.support.web import basic, body

pytestmark = pytest.mark.django_db


def bearer(client, raw, **params):
    return client.get(
        "/nic/update",
        params,
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        HTTP_USER_AGENT="curl/8.0",
        REMOTE_ADDR="192.0.2.200",
    )


def test_a_bearer_token_updates_a_host_of_its_owner(client, alice, make_host, bind):
    host, _secret = make_host()
    _token, raw = token_create(owner=alice, name="ci")
    response = bearer(client, raw, hostname=host.fqdn, myip="192.0.2.30")
    assert response.status_code == 200
    assert body(response) == "good 192.0.2.30\n"
    assert bind.lookup(host.fqdn) == ["192.0.2.30"]


def test_the_account_name_with_the_token_as_password_works_as_ddclient_sends_it(
    client, alice, make_host, bind
):
    host, _secret = make_host()
    _token, raw = token_create(owner=alice, name="router")
    response = client.get(
        "/nic/update",
        {"system": "dyndns", "hostname": host.fqdn, "myip": "192.0.2.31"},
        HTTP_AUTHORIZATION=basic("alice", raw),
    )
    assert body(response) == "good 192.0.2.31\n"
    assert bind.lookup(host.fqdn) == ["192.0.2.31"]


def test_a_token_under_another_account_name_is_refused(client, alice, bob, make_host):
    host, _secret = make_host()
    _token, raw = token_create(owner=alice, name="router")
    response = client.get(
        "/nic/update",
        {"hostname": host.fqdn, "myip": "192.0.2.32"},
        HTTP_AUTHORIZATION=basic("bob", raw),
    )
    assert response.status_code == 401
    assert body(response) == "badauth\n"


def test_one_request_updates_several_hosts_in_order(client, alice, bob, make_host, bind):
    first, _ = make_host()
    second, _ = make_host()
    strangers, _ = make_host(owner=bob)
    _token, raw = token_create(owner=alice, name="ci")
    names = f"{first.fqdn},nodots,{strangers.fqdn},{second.fqdn},gone.dyn.test"
    response = bearer(client, raw, hostname=names, myip="192.0.2.33")
    assert body(response) == ("good 192.0.2.33\nnotfqdn\nnohost\ngood 192.0.2.33\nnohost\n")
    assert response.status_code == 200
    assert bind.lookup(second.fqdn) == ["192.0.2.33"]
    assert bind.lookup(strangers.fqdn) == []


def test_hosts_past_twenty_answer_numhost_each(client, alice, make_host, settings):
    settings.DDNS_MAX_HOSTS_PER_REQUEST = 2
    hosts = [make_host()[0] for _ in range(3)]
    Host.objects.filter(pk__in=[h.pk for h in hosts]).update(ipv4="192.0.2.34")
    _token, raw = token_create(owner=alice, name="ci")
    response = bearer(client, raw, hostname=",".join(h.fqdn for h in hosts), myip="192.0.2.34")
    assert body(response) == "nochg 192.0.2.34\nnochg 192.0.2.34\nnumhost\n"


def test_a_hosts_token_updates_only_its_hosts(client, alice, make_host, bind):
    vm, _ = make_host()
    other, _ = make_host()
    _token, raw = token_create(owner=alice, name="vm", scope="hosts", hosts=[vm])
    response = bearer(client, raw, hostname=f"{vm.fqdn},{other.fqdn}", myip="192.0.2.35")
    assert body(response) == "good 192.0.2.35\nnohost\n"
    assert bind.lookup(other.fqdn) == []


def test_a_read_token_may_not_update(client, alice, make_host):
    host, _ = make_host()
    _token, raw = token_create(owner=alice, name="monitoring", scope="read")
    response = bearer(client, raw, hostname=host.fqdn, myip="192.0.2.36")
    assert response.status_code == 401
    assert body(response) == "badauth\n"
    host.refresh_from_db()
    assert host.ipv4 is None


def test_revoked_expired_and_foreign_tokens_get_badauth(client, alice, make_host):
    host, _ = make_host()
    revoked, revoked_raw = token_create(owner=alice, name="old")
    token_revoke(token=revoked)
    expired, expired_raw = token_create(owner=alice, name="short", expires_days=1)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    _fenced, fenced_raw = token_create(owner=alice, name="lab", networks=["198.51.100.0/24"])
    for raw in (revoked_raw, expired_raw, fenced_raw, "ddns_" + "A" * 43):
        response = bearer(client, raw, hostname=host.fqdn, myip="192.0.2.37")
        assert response.status_code == 401, raw
        assert body(response) == "badauth\n"
        assert response["WWW-Authenticate"].startswith("Basic")


def test_a_token_works_from_its_allowed_network(client, alice, make_host, bind):
    host, _ = make_host()
    _token, raw = token_create(owner=alice, name="lab", networks=["192.0.2.0/24"])
    assert body(bearer(client, raw, hostname=host.fqdn, myip="192.0.2.38")) == ("good 192.0.2.38\n")


def test_without_a_hostname_a_token_answers_notfqdn(client, alice, make_host):
    _token, raw = token_create(owner=alice, name="ci")
    assert body(bearer(client, raw, myip="192.0.2.39")) == "notfqdn\n"


def test_the_address_defaults_to_the_callers(client, alice, make_host, bind):
    host, _ = make_host()
    _token, raw = token_create(owner=alice, name="ci")
    assert body(bearer(client, raw, hostname=host.fqdn)) == "good 192.0.2.200\n"


def test_abuse_and_disabled_zones_still_apply(client, alice, make_host, domain):
    blocked, _ = make_host()
    Host.objects.filter(pk=blocked.pk).update(abuse_blocked=True)
    _token, raw = token_create(owner=alice, name="ci")
    assert body(bearer(client, raw, hostname=blocked.fqdn, myip="192.0.2.40")) == "abuse\n"
    Host.objects.filter(pk=blocked.pk).update(abuse_blocked=False)
    domain.enabled = False
    domain.save()
    assert body(bearer(client, raw, hostname=blocked.fqdn, myip="192.0.2.40")) == "nohost\n"


def test_a_token_records_when_it_was_used(client, alice, make_host, bind):
    host, _ = make_host()
    token, raw = token_create(owner=alice, name="ci")
    bearer(client, raw, hostname=host.fqdn, myip="192.0.2.41")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_token_nochg_costs_a_few_queries_and_no_dns(
    client, alice, make_host, bind, django_assert_max_num_queries
):
    host, _ = make_host()
    _token, raw = token_create(owner=alice, name="vm", scope="hosts", hosts=[host])
    bearer(client, raw, hostname=host.fqdn, myip="192.0.2.42")
    bind.publish(host.fqdn, "192.0.2.99")  # behind the service's back: nochg reads the DB
    with django_assert_max_num_queries(3):  # token, its hosts, the requested hosts
        response = bearer(client, raw, hostname=host.fqdn, myip="192.0.2.42")
    assert body(response) == "nochg 192.0.2.42\n"
    assert bind.lookup(host.fqdn) == ["192.0.2.99"]


def test_a_bearer_that_is_not_a_token_is_refused(client, db):
    response = client.get("/nic/update", {"hostname": "x.dyn.test"}, HTTP_AUTHORIZATION="Bearer x")
    assert response.status_code == 401
    assert body(response) == "badauth\n"


def test_an_openid_connect_access_token_acts_for_its_user(
    client, alice, bob, make_host, bind, monkeypatch
):
    # The provider's answer is the one part faked here: accounts.oidc has its own tests
    # against a real provider.
    mine, _ = make_host()
    theirs, _ = make_host(owner=bob)
    monkeypatch.setattr(oidc, "user_for_access_token", lambda token: alice)
    response = bearer(client, "eyJ.an.access-token", hostname=f"{mine.fqdn},{theirs.fqdn}")
    assert body(response) == "good 192.0.2.200\nnohost\n"


def test_an_unreachable_openid_connect_provider_means_retry_later(client, db, monkeypatch):
    def unavailable(token):
        raise oidc.OidcUnavailable("provider down")

    monkeypatch.setattr(oidc, "user_for_access_token", unavailable)
    response = bearer(client, "eyJ.an.access-token", hostname="x.dyn.test")
    assert response.status_code == 503
    assert body(response) == "911\n"
