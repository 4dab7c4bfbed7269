"""Groups against real members (HTTP servers on loopback) and a real named: what the name
server answers after each check round."""

import time

import pytest
from django.test import Client

from domains import services as domain_services
from failover import services
from failover.models import Event, Group, Probe, Schedule
from tests.support.groups import Members, check, make_group, served
from tests.support.web import body, nic

pytestmark = pytest.mark.django_db


def kinds(group: Group) -> list[str]:
    return list(Event.objects.filter(group=group).order_by("id").values_list("kind", flat=True))


def test_the_primary_is_published_before_the_first_check(domain, alice, bind, members):
    group = make_group(domain, alice, members)
    assert served(bind, group) == ["192.0.2.21"]
    assert kinds(group) == ["first-answer"]


def test_a_failing_primary_moves_the_name_after_the_down_threshold(domain, alice, bind, members):
    group = make_group(domain, alice, members, down_threshold=2)
    check()
    members.answer(0, 503)
    check()
    assert served(bind, group) == ["192.0.2.21"]  # one failure is not enough
    check()
    assert served(bind, group) == ["192.0.2.22"]
    member_event = Event.objects.get(group=group, kind="member", new_state="down")
    assert member_event.reason.startswith("HTTP 503 from 127.0.0.21")
    assert "down threshold 2" in member_event.threshold
    assert member_event.locations["default"]["health"] == "down"
    failover = Event.objects.get(group=group, kind="failover")
    assert failover.new_state == "192.0.2.22"
    assert failover.dns_visible_ms is not None


def test_a_recovered_primary_takes_the_name_back_after_the_hold_down(domain, alice, bind, members):
    group = make_group(domain, alice, members, hold_down=1)
    check()
    members.answer(0, 503)
    check(2)
    assert served(bind, group) == ["192.0.2.22"]
    members.answer(0, 200)
    check()
    assert served(bind, group) == ["192.0.2.22"]  # healthy, but not for long enough
    time.sleep(1.1)
    check()
    assert served(bind, group) == ["192.0.2.21"]
    assert kinds(group)[-1] == "recovery"


def test_without_failback_the_name_stays_with_the_member_that_took_it(domain, alice, bind, members):
    group = make_group(domain, alice, members, failback=False)
    check()
    members.answer(0, 503)
    check(2)
    members.answer(0, 200)
    check(3)
    assert served(bind, group) == ["192.0.2.22"]


def test_all_healthy_publishes_every_healthy_member(domain, alice, bind, members):
    group = make_group(domain, alice, members, mode="all-healthy", max_drop=1)
    check()
    assert served(bind, group) == ["192.0.2.21", "192.0.2.22", "192.0.2.23"]
    members.answer(0, 500)
    members.answer(1, 500)
    check(2)
    # Never more than max_drop members dropped in one step; the best one stays longest.
    assert served(bind, group) == ["192.0.2.21", "192.0.2.23"]
    check()
    assert served(bind, group) == ["192.0.2.23"]
    members.answer(0, 200)
    check()
    assert served(bind, group) == ["192.0.2.21", "192.0.2.23"]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("keep", ["192.0.2.22"]),
        ("all", ["192.0.2.21", "192.0.2.22", "192.0.2.23"]),
        ("none", []),
    ],
)
def test_when_every_member_is_down_the_policy_decides(
    domain, alice, bind, members, policy, expected
):
    group = make_group(domain, alice, members, all_down=policy)
    check()
    members.answer(0, 503)
    check(2)
    for i in (1, 2):
        members.answer(i, 503)
    check(2)
    assert served(bind, group) == expected
    assert "all-down" in kinds(group)


def test_maintenance_moves_the_name_without_waiting_for_a_check(domain, alice, bind, members):
    group = make_group(domain, alice, members)
    check()
    primary = group.members.get(priority=1)
    services.member_set_switch(member=primary, switch="maintenance")
    assert served(bind, group) == ["192.0.2.22"]
    services.member_set_switch(member=primary, switch="auto")
    assert served(bind, group) == ["192.0.2.21"]


def test_forced_states_override_the_checks(domain, alice, bind, members):
    group = make_group(domain, alice, members)
    check()
    members.answer(0, 503)
    services.member_set_switch(member=group.members.get(priority=1), switch="forced-up")
    check(3)
    assert served(bind, group) == ["192.0.2.21"]
    services.member_set_switch(member=group.members.get(priority=1), switch="forced-down")
    assert served(bind, group) == ["192.0.2.22"]


def test_an_expired_switch_counts_as_automatic(domain, alice, bind, members):
    from django.utils import timezone

    group = make_group(domain, alice, members)
    check()
    until = timezone.now() + timezone.timedelta(seconds=1)
    services.member_set_switch(
        member=group.members.get(priority=1), switch="maintenance", until=until
    )
    assert served(bind, group) == ["192.0.2.22"]
    time.sleep(1.1)
    check()
    assert served(bind, group) == ["192.0.2.21"]


def test_a_flapping_member_does_not_move_the_name(domain, alice, bind, members):
    group = make_group(domain, alice, members, down_threshold=3, up_threshold=2)
    check()
    for status in (503, 200, 503, 503, 200, 503, 503, 200):
        members.answer(0, status)
        check()
    assert served(bind, group) == ["192.0.2.21"]
    assert "failover" not in kinds(group)


@pytest.mark.parametrize(
    ("code", "policy", "healthy"),
    [
        (200, "active", True),
        (429, "active", False),
        (429, "unsealed", True),
        (473, "unsealed", True),
        (474, "unsealed", False),
        (503, "unsealed", False),
        (530, "unsealed", False),
    ],
)
def test_the_vault_preset_reads_the_health_codes(domain, alice, bind, code, policy, healthy):
    import trustme

    ca = trustme.CA()
    servers = Members(2, cert=ca.issue_cert("127.0.0.21", "127.0.0.22"))
    try:
        group = make_group(
            domain, alice, servers, check_kind="vault", vault_policy=policy, tls_verify=False,
            check_method="HEAD",
        )  # fmt: skip
        check()
        servers.answer(0, code)
        check(2)
        assert served(bind, group) == (["192.0.2.21"] if healthy else ["192.0.2.22"])
        assert all(seen.path == "/v1/sys/health" for seen in servers.servers[0].seen)
    finally:
        servers.stop()


def test_a_certificate_about_to_expire_counts_as_a_failure(domain, alice, bind):
    import datetime

    import trustme

    ca = trustme.CA()
    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    servers = Members(2, cert=ca.issue_cert("127.0.0.21", "127.0.0.22", not_after=soon))
    try:
        group = make_group(
            domain, alice, servers, check_kind="https", tls_verify=False, cert_expiry_days=7
        )
        check(2)
        assert served(bind, group) == ["192.0.2.21"]  # both expire: all down, kept
        assert "expires" in Probe.objects.filter(member__group=group).first().last_reason
    finally:
        servers.stop()


def test_a_host_member_that_moves_takes_the_generic_name_along(domain, alice, bind, members):
    vm, secret = domain_services.host_register(domain=domain, label="vault-infn-x", owner=alice)
    assert body(nic(Client(), vm, secret, myip="198.51.100.7")) == "good 198.51.100.7\n"
    host, _ = domain_services.host_register(domain=domain, label="vault-x", owner=alice)
    group, _ = services.group_create(
        host=host,
        members=[services.MemberSpec(host=vm, check_target="127.0.0.21")],
        by=alice,
        check_kind="http",
        check_port=members.port,
        interval=1,
    )
    assert served(bind, group) == ["198.51.100.7"]
    assert body(nic(Client(), vm, secret, myip="198.51.100.8")) == "good 198.51.100.8\n"
    check()
    assert served(bind, group) == ["198.51.100.8"]


def test_a_generic_name_refuses_dyndns2_updates(domain, alice, bind, members):
    group = make_group(domain, alice, members)
    secret = domain_services.host_reset_secret(host=group.host)
    assert body(nic(Client(), group.host, secret, myip="203.0.113.9")) == "nohost\n"
    assert served(bind, group) == ["192.0.2.21"]


def test_the_reconciler_restores_a_groups_answer(domain, alice, bind, members):
    from domains import reconcile

    group = make_group(domain, alice, members, mode="all-healthy")
    check()
    bind.publish(group.host.fqdn, "203.0.113.66")
    reconcile.domain_reconcile(domain=domain)
    assert served(bind, group) == ["192.0.2.21", "192.0.2.22", "192.0.2.23"]


def test_deleting_a_group_stops_its_checks_and_frees_the_name(domain, alice, bind, members):
    group = make_group(domain, alice, members)
    check()
    services.group_delete(group=group)
    hits = members.hits()
    check()
    assert members.hits() == hits
    assert not Schedule.objects.exists()
    assert served(bind, group) == ["192.0.2.21"]
    assert not domain_services.host_served_addresses(host_id=group.host_id) - {"192.0.2.21"}


def test_published_addresses_must_be_publishable(domain, alice, members):
    with pytest.raises(Exception, match="loopback"):
        make_group(domain, alice, _loopback_members(members))


def _loopback_members(members):
    class Loopback(Members):
        def specs(self):
            return [services.MemberSpec(ipv4="127.0.0.5")]

    loopback = Loopback.__new__(Loopback)
    loopback.port, loopback.servers = members.port, []
    return loopback


def test_users_cannot_have_internal_targets_probed(domain, alice, members, settings):
    settings.DDNS_HA_PRIVATE_TARGETS = False
    with pytest.raises(Exception, match="internal address"):
        make_group(domain, alice, members)


def test_an_answer_the_server_refuses_is_retried_on_the_next_tick(domain, alice, bind, members):
    from domains import crypto
    from domains.models import Domain

    group = make_group(domain, alice, members, down_threshold=1)
    check()
    good_key = Domain.objects.get(pk=domain.pk).tsig_secret_encrypted
    Domain.objects.filter(pk=domain.pk).update(
        tsig_secret_encrypted=crypto.encrypt(crypto.new_tsig_secret())
    )
    members.answer(0, 503)
    check()
    group.refresh_from_db()
    assert group.pending and served(bind, group) == ["192.0.2.21"]
    assert "dns-error" in kinds(group)
    Domain.objects.filter(pk=domain.pk).update(tsig_secret_encrypted=good_key)
    check()
    assert served(bind, group) == ["192.0.2.22"]
    assert kinds(group).count("failover") == 1


def test_a_round_that_dies_mid_failover_is_completed_by_the_next_with_one_event(
    domain, alice, bind, members, monkeypatch
):
    from failover.services import answers

    group = make_group(domain, alice, members, down_threshold=1)
    check()
    members.answer(0, 503)

    def killed(**_kwargs):
        raise SystemExit("the worker was killed")

    with monkeypatch.context() as patch:
        patch.setattr(answers.domain_services, "host_publish_set", killed)
        with pytest.raises(SystemExit):
            check()
    assert served(bind, group) == ["192.0.2.21"]
    check()
    assert served(bind, group) == ["192.0.2.22"]
    assert kinds(group).count("failover") == 1


@pytest.mark.parametrize(("verify", "moves"), [(True, True), (False, False)])
def test_https_checks_verify_certificates_unless_told_not_to(domain, alice, bind, verify, moves):
    import trustme

    untrusted = trustme.CA()
    servers = Members(2, cert=untrusted.issue_cert("127.0.0.21", "127.0.0.22"))
    try:
        group = make_group(domain, alice, servers, check_kind="https", tls_verify=verify)
        check(2)
        assert served(bind, group) == ["192.0.2.21"]  # all down keeps the primary
        healths = set(group.members.values_list("health", flat=True))
        assert healths == ({"down"} if moves else {"up"})
        if moves:
            reason = Probe.objects.filter(member__group=group).first().last_reason
            assert "TLS verification failed" in reason
    finally:
        servers.stop()


def test_a_generic_name_cannot_be_set_by_hand_in_the_portal(
    domain, alice, alice_client, bind, members
):
    group = make_group(domain, alice, members)
    response = alice_client.post(
        f"/hosts/{group.host_id}/address/", {"address": "203.0.113.5"}, follow=True
    )
    assert "follows a high-availability group" in body(response)
    assert "failover group" in body(alice_client.get(f"/hosts/{group.host_id}/"))
    assert served(bind, group) == ["192.0.2.21"]
