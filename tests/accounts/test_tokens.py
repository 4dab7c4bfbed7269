"""Personal API tokens: created once, stored as digests, checked on every use."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts import services
from accounts.models import ApiToken
from accounts.tokens import (
    TokenRejected,
    token_authenticate,
    token_create,
    token_from_header,
    token_revoke,
)
from domains import services as domain_services
from tests.support.web import body

pytestmark = pytest.mark.django_db


def test_a_token_is_recognisable_long_and_stored_only_as_a_digest(alice):
    token, raw = token_create(owner=alice, name="laptop")
    assert raw.startswith("ddns_") and len(raw) == 48
    assert raw not in (token.digest, token.prefix)
    assert raw.startswith(token.prefix) and len(token.prefix) < 16
    assert token.scope == "full" and token.expires_at is None


def test_two_tokens_never_share_a_secret(alice):
    raws = {token_create(owner=alice, name=f"t{i}")[1] for i in range(20)}
    assert len(raws) == 20


def test_it_authenticates_a_token_in_one_query_and_records_its_use(
    alice, django_assert_num_queries
):
    token, raw = token_create(owner=alice, name="ci")
    with django_assert_num_queries(2):  # the lookup, and "last used" the first time
        assert token_authenticate(raw, source="192.0.2.1").pk == token.pk
    with django_assert_num_queries(1):  # within the minute: no write
        token_authenticate(raw, source="192.0.2.1")
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    "raw", ["", "ddns_", "ddns_" + "x" * 43, "nottoken" * 6, "ddns_" + "x" * 500]
)
def test_unknown_tokens_are_invalid(alice, raw):
    with pytest.raises(TokenRejected, match="invalid token"):
        token_authenticate(raw, source=None)


def test_a_revoked_token_is_refused(alice):
    token, raw = token_create(owner=alice, name="old")
    token_revoke(token=token)
    assert token.revoked_at is not None
    with pytest.raises(TokenRejected, match="token revoked"):
        token_authenticate(raw, source=None)


def test_an_expired_token_is_refused(alice):
    token, raw = token_create(owner=alice, name="short", expires_days=1)
    assert token.expires_at > timezone.now() + timedelta(hours=23)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(TokenRejected, match="token expired"):
        token_authenticate(raw, source=None)


def test_a_token_of_a_disabled_account_is_refused(alice):
    _token, raw = token_create(owner=alice, name="ci")
    get_user_model().objects.filter(pk=alice.pk).update(is_active=False)
    with pytest.raises(TokenRejected, match="disabled"):
        token_authenticate(raw, source=None)


@pytest.mark.parametrize(
    ("source", "allowed"),
    [
        ("192.0.2.7", True),
        ("::ffff:192.0.2.7", True),
        ("2001:db8:1::5", True),
        ("198.51.100.1", False),
        ("2001:db8:2::5", False),
        (None, False),
    ],
)
def test_a_token_is_used_only_from_its_networks(alice, source, allowed):
    _token, raw = token_create(owner=alice, name="vm", networks=["192.0.2.0/24", "2001:db8:1::/48"])
    if allowed:
        token_authenticate(raw, source=source)
    else:
        with pytest.raises(TokenRejected, match="source address not allowed"):
            token_authenticate(raw, source=source)


def test_networks_are_stored_in_cidr_form(alice):
    token, _raw = token_create(owner=alice, name="vm", networks=[" 192.0.2.9 ", "10.1.2.3/8"])
    assert token.allowed_networks == ["192.0.2.9/32", "10.0.0.0/8"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"name": ""}, "needs a name"),
        ({"name": "x" * 101}, "at most 100"),
        ({"name": "a\x00b"}, "control characters"),
        ({"scope": "admin"}, "unknown scope"),
        ({"scope": "hosts"}, "at least one host"),
        ({"expires_days": 0}, "between 1 and"),
        ({"expires_days": 100000}, "between 1 and"),
        ({"networks": ["192.0.2.0/33"]}, "is not a network"),
        ({"networks": ["example.org"]}, "is not a network"),
    ],
)
def test_it_explains_unusable_tokens(alice, options, message):
    with pytest.raises(ValidationError, match=message):
        token_create(owner=alice, **{"name": "t"} | options)
    assert not ApiToken.objects.exists()


def test_a_hosts_token_covers_only_its_hosts(alice, make_host):
    mine, _ = make_host()
    other, _ = make_host()
    _token, raw = token_create(owner=alice, name="vm", scope="hosts", hosts=[mine])
    authenticated = token_authenticate(raw, source=None)
    assert authenticated.covers_host(mine) and not authenticated.covers_host(other)
    assert authenticated.can_write() and not authenticated.can_manage()


def test_a_full_token_covers_every_host_of_its_owner_and_no_other(alice, bob, make_host):
    mine, _ = make_host()
    theirs, _ = make_host(owner=bob)
    token, _raw = token_create(owner=alice, name="all")
    assert token.covers_host(mine) and not token.covers_host(theirs)
    assert token.can_manage()


def test_a_read_token_covers_nothing(alice, make_host):
    host, _ = make_host()
    token, _raw = token_create(owner=alice, name="monitoring", scope="read")
    assert not token.can_write() and not token.covers_host(host) and not token.can_manage()


def test_a_token_cannot_name_someone_elses_host(alice, bob, make_host):
    theirs, _ = make_host(owner=bob)
    with pytest.raises(ValidationError, match="is not a host of alice"):
        token_create(owner=alice, name="x", scope="hosts", hosts=[theirs])


def test_only_a_hosts_token_names_hosts(alice, make_host):
    host, _ = make_host()
    with pytest.raises(ValidationError, match="only a token of scope hosts"):
        token_create(owner=alice, name="x", scope="full", hosts=[host])


def test_deleting_a_host_takes_it_off_the_tokens(alice, make_host):
    host, _ = make_host()
    token, _raw = token_create(owner=alice, name="vm", scope="hosts", hosts=[host])
    domain_services.host_delete(host=host)
    assert list(token.hosts.all()) == []


def test_deleting_the_account_deletes_its_tokens(alice, make_host):
    host, _ = make_host()
    token_create(owner=alice, name="vm", scope="hosts", hosts=[host])
    token_create(owner=alice, name="all")
    services.user_delete(user=alice)
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("header", "raw"),
    [
        ("Bearer ddns_abc", "ddns_abc"),
        ("bearer   ddns_abc  ", "ddns_abc"),
        ("Bearer", None),
        ("Basic YTpi", None),
        ("", None),
    ],
)
def test_it_reads_bearer_headers(header, raw):
    assert token_from_header(header) == raw


def run(*args) -> list[str]:
    out = StringIO()
    call_command("create_token", *args, stdout=out)
    return out.getvalue().splitlines()


def test_create_token_prints_a_working_token_last(alice, make_host):
    host, _ = make_host()
    lines = run("alice", "--name", "vm", "--scope", "hosts", "--host", host.fqdn, "--expires", "30")
    token = token_authenticate(lines[-1], source=None)
    assert token.name == "vm" and token.scope == "hosts"
    assert list(token.hosts.all()) == [host]
    assert token.expires_at < timezone.now() + timedelta(days=31)


def test_create_token_defaults_to_a_full_token_without_expiry(alice):
    token = token_authenticate(run("alice", "--name", "ci")[-1], source=None)
    assert token.scope == "full" and token.expires_at is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody", "--name", "x"], "no user named 'nobody'"),
        (["alice", "--name", "x", "--host", "nowhere.dyn.test"], "no host nowhere.dyn.test"),
        (["alice", "--name", "x", "--scope", "hosts"], "at least one host"),
        (["alice", "--name", "x", "--expires", "0"], "between 1 and"),
    ],
)
def test_create_token_explains_bad_input(alice, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not ApiToken.objects.exists()


def test_create_token_refuses_another_users_host(alice, bob, make_host):
    theirs, _ = make_host(owner=bob)
    with pytest.raises(CommandError, match="is not a host of alice"):
        run("alice", "--name", "x", "--scope", "hosts", "--host", theirs.fqdn)


TOKENS = "/admin/accounts/apitoken/"


def test_an_operator_creates_a_token_and_sees_it_once(admin_client, alice, make_host):
    host, _ = make_host()
    response = admin_client.post(
        f"{TOKENS}add/",
        {
            "owner": alice.pk,
            "name": "backup VM",
            "scope": "hosts",
            "hosts": [host.pk],
            "expires_days": "90",
            "networks": "192.0.2.0/24",
        },
    )
    raw = re.search(r'id="api-token">([^<]+)<', body(response)).group(1)
    token = token_authenticate(raw, source="192.0.2.5")
    assert (token.owner, token.name, list(token.hosts.all())) == (alice, "backup VM", [host])
    for page in (TOKENS, f"{TOKENS}{token.pk}/change/"):
        shown = body(admin_client.get(page))
        assert "backup VM" in shown and raw not in shown and token.digest not in shown


def test_the_admin_refuses_what_the_service_refuses(admin_client, alice, bob, make_host):
    theirs, _ = make_host(owner=bob)
    response = admin_client.post(
        f"{TOKENS}add/", {"owner": alice.pk, "name": "x", "scope": "hosts", "hosts": [theirs.pk]}
    )
    assert "is not a host of alice" in body(response)
    assert not ApiToken.objects.exists()


def test_an_operator_revokes_tokens(admin_client, alice):
    token, raw = token_create(owner=alice, name="leaked")
    admin_client.post(TOKENS, {"action": "revoke", "_selected_action": [token.pk]})
    with pytest.raises(TokenRejected, match="token revoked"):
        token_authenticate(raw, source=None)
