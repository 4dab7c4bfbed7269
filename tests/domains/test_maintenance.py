"""Scheduled maintenance: quiet hosts are reminded, disabled, deleted; failing zones are
reported once per outage with a back-off; old rows go in chunks. Against a real named."""

import uuid
from datetime import timedelta
from importlib import import_module
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from domains import dns, services, tasks
from domains.models import Domain, Host, UpdateEvent
from domains.services.maintenance import check_backoff
from tests.support.bind import make_domain, unique_label
from tests.support.web import body, nic

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _stages(settings):
    # Update limits counted under keys of this test's own, so hosts of earlier runs with
    # the same ids never hold these back.
    settings.DDNS_LIMITS_KEY_PREFIX = f"ddns:test:{uuid.uuid4().hex}:"
    settings.DDNS_STALE_REMIND_DAYS = 150
    settings.DDNS_STALE_DISABLE_DAYS = 180
    settings.DDNS_STALE_DELETE_DAYS = 365
    settings.DDNS_ZONE_CHECK_SECONDS = 60.0
    settings.DDNS_ZONE_CHECK_MAX_SECONDS = 3600.0
    settings.DDNS_ZONE_ALERT_FAILURES = 2


def days_ago(days: float):
    return timezone.now() - timedelta(days=days)


def published(client, make_host, address: str, **register):
    """A host whose client set an address through dyndns2."""
    host, secret = make_host(**register)
    assert body(nic(client, host, secret, myip=address)) == f"good {address}\n"
    return host, secret


@pytest.fixture
def own_zone(private_bind, alice):
    """A zone on a named of the test's own, and a host factory in it (for tests that
    stop the server or count its messages)."""
    zone = make_domain(private_bind, owner=alice)

    def register(**ignored):
        return services.host_register(domain=zone, label=unique_label(), owner=alice)

    return zone, register


def quiet_for(host: Host, days: float, **marks) -> None:
    """Nothing has updated the host for `days`; marks are (stage mark, days ago)."""
    values = {f"stale_{mark}_at": days_ago(ago) for mark, ago in marks.items()}
    Host.objects.filter(pk=host.pk).update(
        last_seen_at=days_ago(days), created_at=days_ago(days + 1), **values
    )


def fresh(host: Host) -> Host:
    return Host.objects.get(pk=host.pk)


# --- reminders --------------------------------------------------------------------------


def test_the_owner_of_a_quiet_host_is_reminded_once(client, make_host, bind):
    host, _ = published(client, make_host, "192.0.2.10")
    in_use, _ = published(client, make_host, "192.0.2.11")
    quiet_for(host, 151)
    quiet_for(in_use, 100)

    assert services.stale_hosts_process().reminded == [host.fqdn]
    assert services.stale_hosts_process().reminded == []
    assert len(mail.outbox) == 1
    reminder = mail.outbox[0]
    assert reminder.to == ["alice@example.org"]
    assert host.fqdn in reminder.subject and "150 days" in reminder.subject
    assert "withdrawn from DNS after 180 days" in reminder.body
    assert fresh(host).stale_reminded_at is not None
    assert fresh(in_use).stale_reminded_at is None
    # A reminder changes nothing in DNS.
    assert bind.lookup(host.fqdn) == ["192.0.2.10"]


def test_a_host_never_updated_counts_from_its_registration(make_host):
    old, _ = make_host()
    make_host()  # registered just now
    Host.objects.filter(pk=old.pk).update(created_at=days_ago(151))
    assert services.stale_hosts_process().reminded == [old.fqdn]
    assert "never updated since it was registered" in mail.outbox[0].body


def test_an_owner_gets_one_email_listing_all_their_quiet_hosts(make_host, bob):
    hosts = [make_host()[0] for _ in range(3)] + [make_host(owner=bob)[0]]
    for host in hosts:
        quiet_for(host, 160)
    assert len(services.stale_hosts_process().reminded) == 4
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_recipient) == ["alice@example.org", "bob@example.org"]
    assert "3 hosts" in by_recipient["alice@example.org"].subject
    assert all(host.fqdn in by_recipient["alice@example.org"].body for host in hosts[:3])


def test_one_run_takes_at_most_a_batch_and_the_next_run_the_rest(make_host, settings):
    settings.DDNS_MAINTENANCE_BATCH = 2
    for _ in range(3):
        quiet_for(make_host()[0], 151)
    assert len(services.stale_hosts_process().reminded) == 2
    assert len(services.stale_hosts_process().reminded) == 1


# --- disabling --------------------------------------------------------------------------


def test_disabling_withdraws_the_records_from_bind_and_the_database_in_one_message(
    client, own_zone, private_bind
):
    _, register = own_zone
    hosts = [published(client, register, f"192.0.2.2{i}")[0] for i in range(3)]
    services.host_set_wildcard(host=hosts[0], wildcard=True)
    for host in hosts:
        quiet_for(host, 181, reminded=31)
    serial = dns.soa_serial(private_bind.server())

    assert sorted(services.stale_hosts_process().disabled) == sorted(h.fqdn for h in hosts)

    # One RFC 2136 message for the zone: the serial moved by one.
    assert dns.soa_serial(private_bind.server()) == serial + 1
    for host in hosts:
        assert private_bind.lookup(host.fqdn) == []
        row = fresh(host)
        assert (row.ipv4, row.ipv6) == (None, None)
        assert row.stale_disabled_at is not None
    assert private_bind.lookup(f"x.{hosts[0].fqdn}") == []
    withdrawn = UpdateEvent.objects.get(host=hosts[1], new_address=None)
    assert withdrawn.old_address == "192.0.2.21"
    assert withdrawn.result.startswith("withdrawn")
    [notice] = mail.outbox
    assert "3 hosts" in notice.subject and "withdrawn" in notice.subject


def test_a_host_is_not_disabled_before_its_owner_had_time_to_react(client, make_host, bind):
    reminded_lately, _ = published(client, make_host, "192.0.2.30")
    never_reminded, _ = published(client, make_host, "192.0.2.31")
    quiet_for(reminded_lately, 200, reminded=5)
    quiet_for(never_reminded, 200)
    report = services.stale_hosts_process()
    assert report.disabled == []
    # A host found quiet for the first time is reminded, whatever its age.
    assert report.reminded == [never_reminded.fqdn]
    assert bind.lookup(reminded_lately.fqdn) == ["192.0.2.30"]


def test_a_server_down_at_disable_time_changes_nothing_until_it_answers(
    client, own_zone, private_bind
):
    zone, register = own_zone
    host, _ = published(client, register, "192.0.2.40")
    quiet_for(host, 181, reminded=31)
    private_bind.stop()

    report = services.stale_hosts_process()
    assert (report.disabled, report.failed) == ([], [host.fqdn])
    row = fresh(host)
    assert (row.ipv4, row.stale_disabled_at) == ("192.0.2.40", None)
    assert not UpdateEvent.objects.filter(host=host, new_address=None).exists()
    assert mail.outbox == []
    assert Domain.objects.get(pk=zone.pk).available is False

    private_bind.start()
    assert services.stale_hosts_process().disabled == [host.fqdn]
    assert private_bind.lookup(host.fqdn) == []
    assert fresh(host).ipv4 is None
    assert Domain.objects.get(pk=zone.pk).available is True


def test_a_disabled_host_publishes_again_on_its_next_update_and_is_active(client, make_host, bind):
    host, secret = published(client, make_host, "192.0.2.50")
    quiet_for(host, 181, reminded=31)
    services.stale_hosts_process()
    assert bind.lookup(host.fqdn) == []

    # The client's usual request: its address is no longer published, so it is a change.
    assert body(nic(client, host, secret, myip="192.0.2.50")) == "good 192.0.2.50\n"
    assert bind.lookup(host.fqdn) == ["192.0.2.50"]
    assert services.stale_hosts_process().revived == [host.fqdn]
    row = fresh(host)
    assert (row.stale_reminded_at, row.stale_disabled_at) == (None, None)


def test_a_reminded_host_that_answers_nochg_is_active_again(client, make_host):
    host, secret = published(client, make_host, "192.0.2.55")
    quiet_for(host, 151)
    services.stale_hosts_process()
    assert body(nic(client, host, secret, myip="192.0.2.55")) == "nochg 192.0.2.55\n"
    assert services.stale_hosts_process().revived == [host.fqdn]
    assert fresh(host).stale_reminded_at is None
    quiet_for(host, 151)
    services.stale_hosts_process()
    assert len(mail.outbox) == 2  # a new silence is a new reminder


def test_group_managed_and_blocked_hosts_and_disabled_zones_are_left_alone(make_host, private_bind):
    zone = make_domain(private_bind, name="locked.test")
    managed, _ = make_host()
    blocked, _ = make_host()
    in_disabled_zone, _ = make_host(on=zone)
    services.host_publish_set(host_id=managed.pk, ipv4=["192.0.2.60"], ipv6=[], ttl=30, source="t")
    services.host_block(host=blocked)
    services.domain_set_enabled(domain=zone, enabled=False)
    for host in (managed, blocked, in_disabled_zone):
        quiet_for(host, 400, reminded=250, disabled=200)
    report = services.stale_hosts_process()
    assert (report.reminded, report.disabled, report.deleted) == ([], [], [])


# --- deleting ---------------------------------------------------------------------------


def test_a_host_is_deleted_after_the_last_stage(client, make_host, bind):
    host, _ = published(client, make_host, "192.0.2.70")
    quiet_for(host, 181, reminded=31)
    services.stale_hosts_process()
    quiet_for(host, 366, reminded=216, disabled=186)
    mail.outbox.clear()

    assert services.stale_hosts_process().deleted == [host.fqdn]
    assert not Host.objects.filter(pk=host.pk).exists()
    assert not dns.name_exists(bind.server(), host.fqdn)
    [notice] = mail.outbox
    assert host.fqdn in notice.subject and "deleted" in notice.subject


def test_with_only_deletion_switched_on_the_records_go_with_the_host(
    client, make_host, bind, settings
):
    settings.DDNS_STALE_REMIND_DAYS = settings.DDNS_STALE_DISABLE_DAYS = 0
    host, _ = published(client, make_host, "192.0.2.71")
    quiet_for(host, 366)
    assert services.stale_hosts_process().deleted == [host.fqdn]
    assert bind.lookup(host.fqdn) == []


def test_stages_out_of_order_are_refused_with_a_clear_error(make_host, settings):
    settings.DDNS_STALE_DISABLE_DAYS = 100
    with pytest.raises(ImproperlyConfigured, match="DDNS_STALE_DISABLE_DAYS"):
        services.stale_hosts_process()


# --- zone health ------------------------------------------------------------------------


def test_a_stopped_primary_is_reported_once_with_back_off_and_its_recovery_once(
    own_zone, private_bind
):
    zone, _ = own_zone
    start = timezone.now()
    private_bind.stop()

    [first] = services.zones_check_health(now=start)
    assert (first.ok, first.told) == (False, "")  # one failure is no outage yet
    assert services.zones_check_health(now=start + timedelta(seconds=10)) == []  # backing off
    [second] = services.zones_check_health(now=start + timedelta(seconds=60))
    assert second.told == "outage"
    [third] = services.zones_check_health(now=start + timedelta(seconds=180))
    assert third.told == ""
    row = Domain.objects.get(pk=zone.pk)
    assert (row.available, row.failed_checks) == (False, 3)
    assert row.next_check_at == start + timedelta(seconds=180 + 240)
    [down] = mail.outbox
    assert down.to == ["alice@example.org"] and "not answering" in down.subject
    assert "Connection refused" in down.body

    private_bind.start()
    assert services.zones_check_health(now=start + timedelta(seconds=300)) == []
    [recovered] = services.zones_check_health(now=start + timedelta(seconds=420))
    assert (recovered.ok, recovered.told) == (True, "recovery")
    assert services.zones_check_health(now=start + timedelta(seconds=480))[0].told == ""
    assert [m.subject.split("] ", 1)[1] for m in mail.outbox] == [
        f"zone {zone.name}: primary not answering",
        f"zone {zone.name}: primary answers again",
    ]
    row = Domain.objects.get(pk=zone.pk)
    assert (row.available, row.failed_checks, row.next_check_at) == (True, 0, None)


def test_an_update_that_succeeds_ends_the_back_off(client, own_zone, private_bind):
    zone, register = own_zone
    host, secret = register()
    private_bind.stop()
    start = timezone.now()
    for seconds in (0, 60, 180, 420):
        services.zones_check_health(now=start + timedelta(seconds=seconds))
    assert Domain.objects.get(pk=zone.pk).next_check_at > start + timedelta(seconds=800)

    private_bind.start()
    assert body(nic(client, host, secret, myip="192.0.2.80")) == "good 192.0.2.80\n"
    [health] = services.zones_check_health(now=start + timedelta(seconds=430))
    assert health.told == "recovery"


def test_the_operators_hear_of_their_own_zones(private_bind, settings):
    settings.ADMINS = [("Operators", "ops@example.org")]
    settings.DDNS_ZONE_ALERT_FAILURES = 1
    make_domain(private_bind)
    private_bind.stop()
    [health] = services.zones_check_health()
    assert health.told == "outage"
    assert mail.outbox[0].to == ["ops@example.org"]


def test_the_back_off_doubles_up_to_the_maximum():
    assert [check_backoff(n).total_seconds() for n in (1, 2, 3, 6, 7, 500)] == [
        60,
        120,
        240,
        1920,
        3600,
        3600,
    ]


# --- retention --------------------------------------------------------------------------


def test_history_is_pruned_in_chunks(make_host, settings):
    settings.DDNS_HISTORY_RETENTION_DAYS = 30
    settings.DDNS_PRUNE_CHUNK = 2
    host, _ = make_host()
    events = UpdateEvent.objects.bulk_create(
        UpdateEvent(host=host, family="A", new_address=f"192.0.2.{i}", result="good")
        for i in range(6)
    )
    UpdateEvent.objects.filter(pk__in=[e.pk for e in events[:5]]).update(created_at=days_ago(31))

    assert services.history_prune(dry_run=True) == 5
    with CaptureQueriesContext(connection) as queries:
        assert services.history_prune() == 5
    deletes = [q for q in queries if q["sql"].startswith('DELETE FROM "domains_updateevent"')]
    assert len(deletes) == 3  # 2 + 2 + 1, each its own short statement
    assert list(UpdateEvent.objects.values_list("pk", flat=True)) == [events[5].pk]


def test_expired_sessions_are_pruned():
    expired, live = SessionStore(), SessionStore()
    expired.set_expiry(-60)
    expired.create()
    live.create()
    assert services.sessions_prune() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


# --- schedule and command ---------------------------------------------------------------


def test_the_beat_schedule_names_only_tasks_that_exist():
    for entry in django_settings.CELERY_BEAT_SCHEDULE.values():
        module, name = entry["task"].rsplit(".", 1)
        task = getattr(import_module(module), name)
        assert task.name == entry["task"]


def test_the_tasks_run_the_services(make_host):
    quiet_for(make_host()[0], 151)
    assert tasks.process_stale_hosts()["reminded"] == 1
    assert tasks.check_zone_health() == 0
    assert tasks.prune_history() == 0


def test_the_command_dry_run_reports_and_changes_nothing(make_host, domain):
    host, _ = make_host()
    quiet_for(host, 151)
    out = StringIO()
    call_command("maintenance", "--dry-run", stdout=out)
    lines = out.getvalue().splitlines()
    assert f"{host.fqdn}: would be reminded" in lines
    assert f"zone {domain.name}: answers" in "\n".join(lines)
    assert "history rows would be removed: 0" in lines
    assert fresh(host).stale_reminded_at is None
    assert mail.outbox == []

    call_command("maintenance", stdout=StringIO())
    assert fresh(host).stale_reminded_at is not None
    assert len(mail.outbox) == 1


def test_the_host_list_shows_a_quiet_host_and_a_withdrawn_one(alice_client, make_host):
    reminded, _ = make_host()
    withdrawn, _ = make_host()
    quiet_for(reminded, 160, reminded=10)
    quiet_for(withdrawn, 190, reminded=40, disabled=10)
    page = alice_client.get("/hosts/").content.decode()
    assert page.count("withdrawn: not updated") == 1
    assert page.count(">not updated<") == 1
