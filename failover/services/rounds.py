"""A check round of one location: claim the due groups, check the canary, probe every
member concurrently, record the results, then let each group whose answer may move decide.

    checked = location_check_round(location="default")  # failover.tasks.check_due, every tick

The database work is a few statements per round, not per member or per group: the
figures are in docs/performance.md ("High availability").
"""

import logging
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model, Prefetch
from django.utils import timezone

from domains import metrics
from domains import services as domain_services
from domains.models import Host
from failover import checks, decisions, probes
from failover.decisions import Health, Streak
from failover.models import Group, Member, Probe, Schedule
from failover.services.answers import group_decide, group_settled
from failover.services.groups import check_spec
from failover.services.targets import resolves_internal, target_refusal

logger = logging.getLogger(__name__)


class Claimed(NamedTuple):
    group: Group
    members: list[Member]  # read once: each group.members.all() builds a queryset again


def location_check_round(*, location: str, now: datetime | None = None) -> int:
    """Run the checks of `location` that are due; returns how many members were checked."""
    started = now or timezone.now()
    group_ids = claim_due(location=location, now=started)
    if not group_ids:
        return 0
    claimed = _load(group_ids)
    members = [member for _, group_members in claimed for member in group_members]
    abstain = _canary_failure([group for group, _ in claimed])
    if abstain:
        logger.warning("location %s abstains: %s", location, abstain)
        _record_abstention(members, location, abstain, started)
        metrics.checks_abstained(location, len(members))
    else:
        results = _probe(claimed)
        metrics.checks_done(location, (result.ok for result in results.values()))
        _record_results(claimed, results, location, started)
    _decide_unsettled(claimed, members)
    return len(members)


def claim_due(*, location: str, now: datetime) -> list[int]:
    """Claim the due schedules of `location`: each moves to its next time in the
    transaction that reads it, so two workers (or a duplicated tick) never run the same
    check. PostgreSQL locks the rows as they are read (another worker's are skipped, and
    a row it claimed meanwhile is no longer due); SQLite runs the whole transaction alone
    (BEGIN IMMEDIATE, see ddns/settings.py)."""
    with transaction.atomic():
        due = list(_due(location, now))
        following = []
        for pk, _, due_at, interval in due:
            step = timedelta(seconds=interval)
            # Keep the rhythm; a round that is late by a whole interval starts afresh.
            following.append([due_at + step if due_at + step > now else now + step, pk])
        _update_rows(Schedule, ["next_due_at"], following)
    return [group_id for _, group_id, _, _ in due]


def _due(location: str, now: datetime):
    query = Schedule.objects.filter(location=location, next_due_at__lte=now)
    if connection.features.has_select_for_update_skip_locked:
        query = query.select_for_update(skip_locked=True, of=("self",))
    query = query.order_by("next_due_at")
    return query.values_list("pk", "group_id", "next_due_at", "group__interval")[
        : settings.DDNS_HA_BATCH
    ]


def _load(group_ids: list[int]) -> list[Claimed]:
    """The groups with what a round reads. Of the generic host only its zone (for the
    canary) and owner (who may probe what): its ~30 columns for every group cost more
    than the rest of the round's reads. Zones and owners are shared, so read once each."""
    host = Prefetch("host", queryset=Host.objects.only("domain", "owner"))
    groups = Group.objects.filter(pk__in=group_ids).prefetch_related(
        host, "host__domain", "host__owner", "members__host"
    )
    return [Claimed(group, list(group.members.all())) for group in groups]


def _canary_failure(groups: list[Group]) -> str | None:
    """Why this location cannot judge anyone now, or None."""
    for domain in {group.host.domain for group in groups}:
        if not domain_services.domain_reachable(domain=domain):
            return f"the primary of {domain.name} does not answer from here"
    if settings.DDNS_CHECK_CANARY:
        host, _, port = settings.DDNS_CHECK_CANARY.rpartition(":")
        spec = checks.CheckSpec(kind="tcp", port=int(port), timeout=2.0)
        result = probes.probe_all_sync([(spec, host.strip("[]"))])[0]
        if not result.ok:
            return f"the reference target failed: {result.reason}"
    return None


def _probe(claimed: list[Claimed]) -> dict[int, checks.ProbeResult]:
    """Every member's result by member id; all probes of the round run concurrently."""
    jobs: list[tuple[int, tuple[checks.CheckSpec, str]]] = []
    results: dict[int, checks.ProbeResult] = {}
    for group, members in claimed:
        spec = check_spec(group)
        for member in members:
            target = _allowed(member.probe_target(), group)
            if target:
                jobs.append((member.pk, (spec, target)))
            else:
                reason = f"not checked: {member.probe_target() or 'no target'} may not be probed"
                results[member.pk] = checks.ProbeResult(ok=False, reason=reason, latency_ms=0)
    done = probes.probe_all_sync([job for _, job in jobs])
    results.update(zip([pk for pk, _ in jobs], done, strict=True))
    return results


def _allowed(target: str, group: Group) -> str | None:
    """The target, unless the owner may not probe it (names: resolved here, at check
    time, so a name cannot be pointed at an internal address later)."""
    owner = None if group.internal_targets else group.host.owner
    if not target or target_refusal(target, owner):
        return None
    if owner is None or owner.is_staff or settings.DDNS_HA_PRIVATE_TARGETS:
        return target
    # An unresolvable name is not internal: the prober reports the failure itself.
    return None if resolves_internal(target) else target


def _record_results(
    claimed: list[Claimed],
    results: dict[int, checks.ProbeResult],
    location: str,
    started: datetime,
) -> None:
    thresholds = {m.pk: (g.up_threshold, g.down_threshold) for g, ms in claimed for m in ms}
    with transaction.atomic():
        rows = []
        for probe in _locked_probes(list(thresholds), location):
            if probe.checked_at and probe.checked_at > started:
                continue  # a newer round already recorded this member
            up, down = thresholds[probe.member_id]
            rows.append(_observe(probe, results[probe.member_id], started, up, down))
        _update_rows(Probe, RECORDED, rows)


def _observe(probe: Probe, result: checks.ProbeResult, now: datetime, up: int, down: int) -> list:
    """The probe row's values after this result: RECORDED in order, then its id."""
    streak = Streak(
        health=Health(probe.health),
        ok=probe.ok_streak,
        failed=probe.failed_streak,
        since=probe.health_since,
    )
    streak, threshold = decisions.observe(
        streak, result.ok, now, up_threshold=up, down_threshold=down
    )
    return [
        streak.health.value,
        streak.ok,
        streak.failed,
        streak.since,
        False,  # abstained
        result.ok,
        result.reason[:255],
        threshold[:100] if threshold else probe.last_threshold,
        round(result.latency_ms, 1),
        now,  # checked_at
        probe.pk,
    ]


# The Probe fields a result writes, in the order _observe gives them.
RECORDED = [
    "health",
    "ok_streak",
    "failed_streak",
    "health_since",
    "abstained",
    "last_ok",
    "last_reason",
    "last_threshold",
    "last_latency_ms",
    "checked_at",
]


def _update_rows(model: type[Model], fields: list[str], rows: list[list]) -> None:
    """UPDATE each row by primary key (values of `fields` in order, then the key) with one
    prepared statement sent as one batch: psycopg pipelines executemany, while an ORM
    update per row cost a compilation and a round trip each, most of a round's database
    time. Values are plain (str, int, float, bool, None) or datetimes, which are stored as
    the ORM stores them (SQLite keeps naive UTC text)."""
    if not rows:
        return
    quote, meta = connection.ops.quote_name, model._meta
    column = {field.name: field.column for field in meta.concrete_fields}
    columns = ", ".join(f"{quote(column[name])} = %s" for name in fields)
    sql = f"UPDATE {quote(meta.db_table)} SET {columns} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    adapt = connection.ops.adapt_datetimefield_value
    prepared = [[adapt(v) if isinstance(v, datetime) else v for v in row] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)


def _record_abstention(members: list[Member], location: str, reason: str, now: datetime) -> None:
    with transaction.atomic():
        ids = [p.pk for p in _locked_probes([m.pk for m in members], location)]
        Probe.objects.filter(pk__in=ids).update(
            abstained=True, last_reason=f"abstained: {reason}"[:255], checked_at=now
        )


def _locked_probes(ids: list[int], location: str) -> list[Probe]:
    """This location's probe rows of these members, created when missing, locked."""
    found = _select_locked(ids, location)
    missing = set(ids) - {probe.member_id for probe in found}
    if missing:  # the first check of new members
        Probe.objects.bulk_create(
            [Probe(member_id=pk, location=location) for pk in missing], ignore_conflicts=True
        )
        found = _select_locked(ids, location)
    return found


def _select_locked(ids: list[int], location: str) -> list[Probe]:
    query = Probe.objects.filter(member_id__in=ids, location=location)
    if connection.features.has_select_for_update:
        query = query.select_for_update()
    return list(query.order_by("pk"))


def _decide_unsettled(claimed: list[Claimed], members: list[Member]) -> None:
    """group_decide for every group whose answer or member states may move now.

    Asked on every round, not only after a threshold fired, so what changes without a
    check is followed at the group's next round: a host member that moved, a switch that
    expired, a hold-down that ended, a decision a killed round left undone. Probes are
    read again (every location's) after this round's were written.
    """
    by_member: dict[int, list[Probe]] = {}
    fields = ("member_id", "location", "health", "abstained", "last_reason")
    for probe in Probe.objects.filter(member__in=members).only(*fields):
        by_member.setdefault(probe.member_id, []).append(probe)
    now = timezone.now()
    for group, group_members in claimed:
        if not group_settled(group=group, members=group_members, probes=by_member, now=now):
            group_decide(group_id=group.pk)
