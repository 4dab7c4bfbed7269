"""ACME challenge TXT records: stored, published at "_acme-challenge.<host>" by RFC 2136,
several at once, withdrawn on cleanup, expiry and host deletion. Checked in the real named."""

import secrets
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from domains import dns, names, reconcile, services, tasks
from domains.models import AcmeChallenge
from tests.support.bind import make_domain, unique_label

pytestmark = pytest.mark.django_db

CLIENT = services.ClientInfo(source="192.0.2.1", user_agent="lego/4.9", tls=False)


def digest() -> str:
    return secrets.token_urlsafe(32)  # 43 base64url characters, as a real DNS-01 value


def challenges(bind, host) -> list[str]:
    return bind.lookup(dns.challenge_name(host.fqdn), "TXT")


def test_two_values_are_served_side_by_side(make_host, bind):
    host, _ = make_host()
    first, second = digest(), digest()
    services.acme_txt_add(host=host, value=first, client=CLIENT)
    services.acme_txt_add(host=host, value=second)
    assert challenges(bind, host) == sorted([first, second])
    assert services.acme_txt_list(host) == [first, second]


def test_presenting_a_value_again_keeps_one_record(make_host, bind):
    host, _ = make_host()
    value = digest()
    services.acme_txt_add(host=host, value=value)
    services.acme_txt_add(host=host, value=value)
    assert challenges(bind, host) == [value]
    assert AcmeChallenge.objects.filter(host=host).count() == 1


def test_cleanup_removes_only_its_value(make_host, bind):
    host, _ = make_host()
    kept, removed = digest(), digest()
    services.acme_txt_add(host=host, value=kept)
    services.acme_txt_add(host=host, value=removed)
    services.acme_txt_remove(host=host, value=removed)
    services.acme_txt_remove(host=host, value=removed)  # a repeated cleanup is harmless
    assert challenges(bind, host) == [kept]
    assert services.acme_txt_list(host) == [kept]


@pytest.mark.parametrize("value", ["", "short", "x" * 44, "a" * 42 + "=", "a" * 42 + " ", 'a"b'])
def test_a_value_that_is_no_digest_is_refused(make_host, bind, value):
    host, _ = make_host()
    with pytest.raises(ValidationError, match="43-character base64url"):
        services.acme_txt_add(host=host, value=value)
    assert services.acme_txt_list(host) == []
    assert challenges(bind, host) == []


def test_a_host_publishes_at_most_ten_values(make_host, bind):
    host, _ = make_host()
    for _ in range(services.ACME_MAX_VALUES_PER_HOST):
        services.acme_txt_add(host=host, value=digest())
    with pytest.raises(ValidationError, match="at most 10"):
        services.acme_txt_add(host=host, value=digest())
    assert len(challenges(bind, host)) == 10


def test_rotation_keeps_the_two_most_recent(make_host, bind):
    host, _ = make_host()
    values = [digest() for _ in range(3)]
    for value in values:
        services.acme_txt_rotate(host=host, value=value, keep=2)
    assert services.acme_txt_list(host) == values[1:]
    assert challenges(bind, host) == sorted(values[1:])


def test_a_blocked_host_may_not_publish(make_host, bind):
    host, _ = make_host()
    services.host_block(host=host)
    with pytest.raises(ValidationError, match="abuse"):
        services.acme_txt_add(host=host, value=digest())


def test_nothing_is_stored_when_the_server_fails(private_bind, alice):
    domain = make_domain(private_bind)
    host, _ = services.host_register(domain=domain, label=unique_label(), owner=alice)
    private_bind.stop()
    with pytest.raises(services.DnsFailure):
        services.acme_txt_add(host=host, value=digest())
    assert services.acme_txt_list(host) == []


def test_stale_values_expire_and_recent_ones_stay(make_host, bind):
    host, _ = make_host()
    stale, fresh = digest(), digest()
    services.acme_txt_add(host=host, value=stale)
    services.acme_txt_add(host=host, value=fresh)
    AcmeChallenge.objects.filter(value=stale).update(created_at=timezone.now() - timedelta(hours=2))

    assert tasks.expire_acme_challenges(3600) == 1

    assert services.acme_txt_list(host) == [fresh]
    assert challenges(bind, host) == [fresh]
    assert services.acme_txt_expire(older_than=timedelta(hours=1)) == 0


def test_deleting_the_host_removes_its_challenges_with_its_addresses(make_host, bind):
    host, _ = make_host()
    services.host_update_addresses(
        host=host, addresses=names.Addresses("192.0.2.80", None), client=CLIENT
    )
    services.acme_txt_add(host=host, value=digest())
    assert services.host_delete(host=host) is True
    assert challenges(bind, host) == []
    assert bind.lookup(host.fqdn) == []
    assert not AcmeChallenge.objects.exists()


def test_deleting_a_host_with_only_challenges_removes_them(make_host, bind):
    host, _ = make_host()
    services.acme_txt_add(host=host, value=digest())
    services.host_delete(host=host)
    assert challenges(bind, host) == []


def test_the_reconciler_repairs_challenge_drift(make_host, domain, bind):
    host, _ = make_host()
    value = digest()
    services.acme_txt_add(host=host, value=value)
    dns.replace_txt(bind.server(), dns.challenge_name(host.fqdn), ["forged"], 60)

    repairs = reconcile.domain_reconcile(domain=domain)

    assert dns.challenge_name(host.fqdn) in {r.fqdn for r in repairs}
    assert challenges(bind, host) == [value]
    assert reconcile.domain_reconcile(domain=domain) == []


@pytest.mark.parametrize(
    ("name", "host"),
    [
        ("_acme-challenge.h.dyn.test.", "h.dyn.test"),
        ("_ACME-Challenge.H.dyn.test", "h.dyn.test"),
    ],
)
def test_a_challenge_name_gives_its_host(name, host):
    assert services.acme_challenge_host(name) == host


@pytest.mark.parametrize(
    "name", ["h.dyn.test.", "_acme-challenge.", "_acme-challenge.x", "x._acme"]
)
def test_other_names_are_refused(name):
    with pytest.raises(ValidationError, match="_acme-challenge"):
        services.acme_challenge_host(name)
