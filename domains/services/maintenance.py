"""Maintenance that Celery beat runs: hosts nobody updates any more, zones whose primary
stopped answering, and rows past their retention (docs/maintenance.md).

Every step is bounded (at most DDNS_MAINTENANCE_BATCH hosts per stage and run, old rows
deleted in chunks), marks what it did before it tells anyone, so a repeated run sends
no second e-mail, and can report what it would do (dry_run) without changing anything.
"""

import itertools
import logging
import smtplib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, get_connection, mail_admins
from django.db import models, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone

from domains import dns
from domains.models import AcmeChallenge, Domain, Host, UpdateEvent
from domains.services.common import dns_server
from domains.services.hosts import host_delete
from domains.services.zones import domain_record_failure, domain_record_success

logger = logging.getLogger(__name__)

# The stages a quiet host goes through, in order, and the mark each leaves on the row.
STAGES = ("remind", "disable", "delete")
MARKS = {"remind": "stale_reminded_at", "disable": "stale_disabled_at"}
SUBJECTS = {
    "remind": "not updated for {days} days",
    "disable": "addresses withdrawn after {days} days without an update",
    "delete": "deleted after {days} days without an update",
}
# Database session backends keep every expired session until something deletes it.
DB_SESSION_ENGINES = (
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
)


@dataclass
class StaleReport:
    """What one pass over quiet hosts did (or, dry, would do), by name."""

    revived: list[str] = field(default_factory=list)
    reminded: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    # Names whose addresses stay published because the zone's server did not answer.
    failed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ZoneHealth:
    """One zone's health check: whether its primary answered, and whom that was told."""

    zone: str
    ok: bool
    detail: str
    told: str = ""  # "outage" or "recovery" when an e-mail went out


# --- Stale hosts ------------------------------------------------------------------------


def stale_hosts_process(*, now: datetime | None = None, dry_run: bool = False) -> StaleReport:
    """Revive hosts that were updated again, then remind, disable and delete quiet ones."""
    now = now or timezone.now()
    report = StaleReport(revived=_revive(now, dry_run))
    hosts = _claim_marked("remind", now, dry_run)
    report.reminded = [host.fqdn for host in hosts]
    if not dry_run:
        _tell_owners("remind", hosts)
    _disable_due(now, dry_run, report)
    _delete_due(now, dry_run, report)
    return report


def _stage_days() -> dict[str, int]:
    """Each stage's days (0: off); the stages switched on must come one after another."""
    days = {stage: getattr(settings, f"DDNS_STALE_{stage.upper()}_DAYS") for stage in STAGES}
    if any(value < 0 for value in days.values()):
        raise ImproperlyConfigured("DDNS_STALE_*_DAYS must be 0 (off) or a number of days")
    enabled = [stage for stage in STAGES if days[stage]]
    for earlier, later in itertools.pairwise(enabled):
        if days[earlier] >= days[later]:
            raise ImproperlyConfigured(
                f"DDNS_STALE_{later.upper()}_DAYS ({days[later]}) must be more than "
                f"DDNS_STALE_{earlier.upper()}_DAYS ({days[earlier]}), or 0 (off)"
            )
    return days


def _due(stage: str, now: datetime) -> QuerySet[Host] | None:
    """Hosts quiet for the stage's days whose owner had the time since the stage before
    to react; None when the stage is switched off."""
    days = _stage_days()
    if not days[stage]:
        return None
    hosts = (
        # Hosts of a disabled zone cannot update; a group's name is decided by its
        # checks; a host an operator blocked stays for the operator to decide.
        Host.objects.filter(domain__enabled=True, published_set__isnull=True, abuse_blocked=False)
        .alias(active_at=Coalesce("last_seen_at", "created_at"))
        .filter(active_at__lt=now - timedelta(days=days[stage]))
    )
    earlier = [s for s in STAGES[: STAGES.index(stage)] if days[s]]
    if earlier:
        # Measured from the mark, not from the last update, so switching the stages on
        # for an old installation still gives every owner the whole interval to react.
        gap = timedelta(days=days[stage] - days[earlier[-1]])
        hosts = hosts.filter(**{f"{MARKS[earlier[-1]]}__lte": now - gap})
    if stage in MARKS:
        hosts = hosts.filter(**{f"{MARKS[stage]}__isnull": True})
    return hosts.order_by("pk")


def _locked(hosts: QuerySet[Host]) -> QuerySet[Host]:
    """Lock the rows (not the owners' or zones'); a host an update holds now is skipped:
    it is evidently in use, and the next run sees it again."""
    return hosts.select_related("owner", "domain").select_for_update(of=("self",), skip_locked=True)


def _revive(now: datetime, dry_run: bool) -> list[str]:
    """Clear the marks of hosts updated after them: they are in use again (a disabled
    host's update published its addresses afresh, as any change does)."""
    came_back = Host.objects.filter(
        Q(stale_reminded_at__isnull=False, last_seen_at__gt=F("stale_reminded_at"))
        | Q(stale_disabled_at__isnull=False, last_seen_at__gt=F("stale_disabled_at"))
    )
    ids_and_names = list(came_back.values_list("pk", "fqdn")[: settings.DDNS_MAINTENANCE_BATCH])
    if not dry_run:
        Host.objects.filter(pk__in=[pk for pk, _ in ids_and_names]).update(
            stale_reminded_at=None, stale_disabled_at=None
        )
    return [fqdn for _, fqdn in ids_and_names]


def _claim_marked(stage: str, now: datetime, dry_run: bool) -> list[Host]:
    """The due hosts of a stage that needs no DNS change, marked in one statement."""
    due = _due(stage, now)
    if due is None:
        return []
    if dry_run:
        return list(due.select_related("owner")[: settings.DDNS_MAINTENANCE_BATCH])
    with transaction.atomic():
        hosts = list(_locked(due)[: settings.DDNS_MAINTENANCE_BATCH])
        Host.objects.filter(pk__in=[host.pk for host in hosts]).update(**{MARKS[stage]: now})
    return hosts


def _disable_due(now: datetime, dry_run: bool, report: StaleReport) -> None:
    """Withdraw the addresses of due hosts: per zone, one RFC 2136 message per chunk of
    names, and the rows change only when the server took it."""
    due = _due("disable", now)
    if due is None:
        return
    if dry_run:
        report.disabled = list(
            due.values_list("fqdn", flat=True)[: settings.DDNS_MAINTENANCE_BATCH]
        )
        return
    by_zone: dict[int, list[int]] = defaultdict(list)
    for host_id, zone_id in due.values_list("pk", "domain_id")[: settings.DDNS_MAINTENANCE_BATCH]:
        by_zone[zone_id].append(host_id)
    disabled: list[Host] = []
    for zone in Domain.objects.filter(pk__in=list(by_zone)):
        ids = by_zone[zone.pk]
        for start in range(0, len(ids), dns.NAMES_PER_MESSAGE):
            chunk = due.filter(pk__in=ids[start : start + dns.NAMES_PER_MESSAGE])
            disabled += _disable_chunk(zone, chunk, now, report)
    report.disabled = [host.fqdn for host in disabled]
    _tell_owners("disable", disabled)


def _disable_chunk(
    zone: Domain, due: QuerySet[Host], now: datetime, report: StaleReport
) -> list[Host]:
    try:
        with transaction.atomic():
            # Re-read under the lock: a host updated since it was chosen is not due.
            hosts = list(_locked(due))
            challenged = set(
                AcmeChallenge.objects.filter(host__in=hosts).values_list("host_id", flat=True)
            )
            published = [h.fqdn for h in hosts if h.ipv4 or h.ipv6 or h.pk in challenged]
            if published:
                dns.delete_names(dns_server(zone), published)
            _store_withdrawn(hosts, now)
    except dns.DnsError as error:
        logger.warning("stale hosts in %s keep their addresses for now: %s", zone.name, error)
        domain_record_failure(domain_id=zone.pk, error=error)
        report.failed += list(due.values_list("fqdn", flat=True))
        return []
    domain_record_success(domain=zone)
    return hosts


def _store_withdrawn(hosts: list[Host], now: datetime) -> None:
    """What delete_names removed, removed from the rows too, with a history row each."""
    ids = [host.pk for host in hosts]
    Host.objects.filter(pk__in=ids).update(ipv4=None, ipv6=None, stale_disabled_at=now)
    AcmeChallenge.objects.filter(host_id__in=ids).delete()
    result = f"withdrawn: no update for {settings.DDNS_STALE_DISABLE_DAYS} days"
    UpdateEvent.objects.bulk_create(
        UpdateEvent(host_id=host.pk, family=rdtype, old_address=address, result=result)
        for host in hosts
        for rdtype, address in host.addresses().items()
        if address
    )


def _delete_due(now: datetime, dry_run: bool, report: StaleReport) -> None:
    """Delete due hosts through host_delete (a server that does not answer leaves a
    retired name for the reconciler; the host is gone either way)."""
    due = _due("delete", now)
    if due is None:
        return
    ids = list(due.values_list("pk", flat=True)[: settings.DDNS_MAINTENANCE_BATCH])
    if dry_run:
        report.deleted = list(Host.objects.filter(pk__in=ids).values_list("fqdn", flat=True))
        return
    deleted: list[Host] = []
    for host_id in ids:
        with transaction.atomic():
            host = _locked(due.filter(pk=host_id)).first()
            if host is not None:
                host_delete(host=host)
                deleted.append(host)
    report.deleted = [host.fqdn for host in deleted]
    _tell_owners("delete", deleted)


def _tell_owners(stage: str, hosts: Iterable[Host]) -> None:
    """One e-mail per owner and stage, listing their hosts, over one connection."""
    by_owner: dict[User, list[Host]] = defaultdict(list)
    for host in hosts:
        by_owner[host.owner].append(host)
    messages = [
        _stale_message(stage, owner, owned) for owner, owned in by_owner.items() if owner.email
    ]
    _send(messages)


def _stale_message(stage: str, owner: User, hosts: list[Host]) -> EmailMessage:
    days = _stage_days()
    subject = SUBJECTS[stage].format(days=days[stage])
    names = hosts[0].fqdn if len(hosts) == 1 else f"{len(hosts)} hosts"
    body = render_to_string(
        f"domains/email/stale_{stage}.txt",
        {
            "owner": owner,
            "hosts": [(host, host.last_seen_at or host.created_at) for host in hosts],
            "days": days,
            "site_name": settings.DDNS_SITE_NAME,
            "site_url": settings.DDNS_PUBLIC_URL,
        },
    )
    return EmailMessage(f"[{settings.DDNS_SITE_NAME}] {names}: {subject}", body, to=[owner.email])


def _send(messages: list[EmailMessage]) -> None:
    """Send what was decided; a mail server that fails loses these e-mails (the marks are
    set, so none is sent twice), which is logged for the operators."""
    if not messages:
        return
    try:
        get_connection().send_messages(messages)
    except (OSError, smtplib.SMTPException):
        logger.exception("%d maintenance e-mails could not be sent", len(messages))


# --- Zone health ------------------------------------------------------------------------


def zones_check_health(*, now: datetime | None = None, dry_run: bool = False) -> list[ZoneHealth]:
    """Ask each enabled zone's primary for its SOA, when its check is due (a failing zone
    is asked less and less often, up to DDNS_ZONE_CHECK_MAX_SECONDS apart)."""
    now = now or timezone.now()
    # Beat's ticks drift a little: a check due within half an interval is taken now.
    horizon = now + timedelta(seconds=settings.DDNS_ZONE_CHECK_SECONDS / 2)
    due = Domain.objects.filter(enabled=True).filter(
        Q(next_check_at__isnull=True) | Q(next_check_at__lte=horizon)
    )
    return [_check_zone(zone, now, dry_run) for zone in due.select_related("owner")]


def _check_zone(zone: Domain, now: datetime, dry_run: bool) -> ZoneHealth:
    try:
        serial = dns.soa_serial(dns_server(zone))
    except dns.DnsError as error:
        if dry_run:
            return ZoneHealth(zone.name, False, str(error))
        return _zone_failed(zone, error, now)
    if dry_run:
        return ZoneHealth(zone.name, True, f"serial {serial}")
    return _zone_answered(zone, serial)


def _zone_failed(zone: Domain, error: dns.DnsError, now: datetime) -> ZoneHealth:
    domain_record_failure(domain_id=zone.pk, error=error)
    failures = zone.failed_checks + 1
    Domain.objects.filter(pk=zone.pk).update(
        failed_checks=F("failed_checks") + 1, next_check_at=now + check_backoff(failures)
    )
    told = ""
    # One lost datagram is no outage: the owner hears of it after a few failed checks.
    if failures >= settings.DDNS_ZONE_ALERT_FAILURES and _claimed(
        Domain.objects.filter(pk=zone.pk, outage_notified_at__isnull=True), outage_notified_at=now
    ):
        _tell_zone(zone, "down", detail=str(error), since=now)
        told = "outage"
    return ZoneHealth(zone.name, False, str(error), told)


def check_backoff(failures: int) -> timedelta:
    """How long to wait after the given number of consecutive failed checks: the normal
    interval, doubled per further failure, at most DDNS_ZONE_CHECK_MAX_SECONDS."""
    doubled = settings.DDNS_ZONE_CHECK_SECONDS * 2 ** min(failures - 1, 30)
    return timedelta(seconds=min(doubled, settings.DDNS_ZONE_CHECK_MAX_SECONDS))


def _zone_answered(zone: Domain, serial: int) -> ZoneHealth:
    # Marks the zone available again and resets the back-off when it was failing.
    domain_record_success(domain=zone)
    if zone.failed_checks:
        Domain.objects.filter(pk=zone.pk).update(failed_checks=0, next_check_at=None)
    told = ""
    if zone.outage_notified_at and _claimed(
        Domain.objects.filter(pk=zone.pk, outage_notified_at__isnull=False),
        outage_notified_at=None,
    ):
        _tell_zone(zone, "up", detail=f"serial {serial}", since=zone.outage_notified_at)
        told = "recovery"
    return ZoneHealth(zone.name, True, f"serial {serial}", told)


def _claimed(rows: QuerySet, **values: object) -> bool:
    """A conditional UPDATE: only the run that changed the row goes on (sends the e-mail)."""
    return rows.update(**values) == 1


def _tell_zone(zone: Domain, state: str, *, detail: str, since: datetime) -> None:
    """The zone's owner, or the operators (settings.ADMINS) for the operators' zones."""
    context = {"zone": zone, "detail": detail, "since": since, "site_name": settings.DDNS_SITE_NAME}
    body = render_to_string(f"domains/email/zone_{state}.txt", context)
    subject = f"zone {zone.name}: primary {'not answering' if state == 'down' else 'answers again'}"
    if zone.owner is not None and zone.owner.email:
        _send([EmailMessage(f"[{settings.DDNS_SITE_NAME}] {subject}", body, to=[zone.owner.email])])
        return
    if not settings.ADMINS:
        logger.warning("%s (no ADMINS to tell)", subject)
        return
    try:
        mail_admins(subject, body)
    except (OSError, smtplib.SMTPException):
        logger.exception("could not tell the operators: %s", subject)


# --- Retention --------------------------------------------------------------------------


def history_prune(*, now: datetime | None = None, dry_run: bool = False) -> int:
    """Delete update history older than DDNS_HISTORY_RETENTION_DAYS; rows removed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.DDNS_HISTORY_RETENTION_DAYS)
    return _prune(UpdateEvent.objects.filter(created_at__lt=cutoff), dry_run)


def sessions_prune(*, now: datetime | None = None, dry_run: bool = False) -> int:
    """Delete expired login sessions (what `manage.py clearsessions` does, in chunks)."""
    if settings.SESSION_ENGINE not in DB_SESSION_ENGINES:
        return 0
    return _prune(Session.objects.filter(expire_date__lt=now or timezone.now()), dry_run)


def _prune(rows: QuerySet, dry_run: bool) -> int:
    """Delete the rows a chunk per statement, each its own short transaction, so a huge
    backlog never holds locks (or a vacuum back) for long while updates write history."""
    if dry_run:
        return rows.count()
    model: type[models.Model] = rows.model
    removed = 0
    while ids := list(rows.order_by().values_list("pk", flat=True)[: settings.DDNS_PRUNE_CHUNK]):
        removed += model._default_manager.filter(pk__in=ids).delete()[0]
    return removed
