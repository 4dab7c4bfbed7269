"""A check round of one location: claim the due groups, check the canary, probe every
member concurrently, record each result, then let each group decide."""

import ipaddress
import logging
import socket
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from domains import services as domain_services
from failover import decisions, probes
from failover.decisions import Health, Streak
from failover.models import Group, Member, Probe, Schedule
from failover.services.answers import group_decide
from failover.services.groups import INTERNAL_KINDS, check_spec, target_refusal

logger = logging.getLogger(__name__)


def location_check_round(*, location: str, now: datetime | None = None) -> int:
    """Run the checks of `location` that are due; returns how many members were checked."""
    started = now or timezone.now()
    group_ids = claim_due(location=location, now=started)
    if not group_ids:
        return 0
    groups = list(
        Group.objects.filter(pk__in=group_ids)
        .select_related("host__domain", "host__owner")
        .prefetch_related("members__host")
    )
    members = [member for group in groups for member in group.members.all()]
    abstain = _canary_failure(groups)
    if abstain:
        logger.warning("location %s abstains: %s", location, abstain)
        _record_abstention(members, location, abstain, started)
    else:
        _record_results(members, groups, _probe(groups), location, started)
    for group in groups:
        group_decide(group_id=group.pk)
    return len(members)


def claim_due(*, location: str, now: datetime) -> list[int]:
    """Claim the due schedules of `location`: a conditional UPDATE per row, so two
    workers (or a duplicated tick) never run the same check."""
    due = list(
        Schedule.objects.filter(location=location, next_due_at__lte=now)
        .order_by("next_due_at")
        .values_list("pk", "group_id", "next_due_at", "group__interval")[: settings.DDNS_HA_BATCH]
    )
    claimed = []
    with transaction.atomic():
        for pk, group_id, due_at, interval in due:
            step = timedelta(seconds=interval)
            # Keep the rhythm; a round that is late by a whole interval starts afresh.
            following = due_at + step if due_at + step > now else now + step
            if Schedule.objects.filter(pk=pk, next_due_at=due_at).update(next_due_at=following):
                claimed.append(group_id)
    return claimed


def _canary_failure(groups: list[Group]) -> str | None:
    """Why this location cannot judge anyone now, or None."""
    for domain in {group.host.domain for group in groups}:
        if not domain_services.domain_reachable(domain=domain):
            return f"the primary of {domain.name} does not answer from here"
    if settings.DDNS_CHECK_CANARY:
        host, _, port = settings.DDNS_CHECK_CANARY.rpartition(":")
        spec = probes.CheckSpec(kind="tcp", port=int(port), timeout=2.0)
        result = probes.probe_all_sync([(spec, host.strip("[]"))])[0]
        if not result.ok:
            return f"the reference target failed: {result.reason}"
    return None


def _probe(groups: list[Group]) -> dict[int, probes.ProbeResult]:
    """Every member's result by member id; all probes of the round run concurrently."""
    jobs: list[tuple[int, tuple[probes.CheckSpec, str]]] = []
    results: dict[int, probes.ProbeResult] = {}
    for group in groups:
        spec = check_spec(group)
        for member in group.members.all():
            target = _allowed(member.probe_target(), group)
            if target:
                jobs.append((member.pk, (spec, target)))
            else:
                reason = f"not checked: {member.probe_target() or 'no target'} may not be probed"
                results[member.pk] = probes.ProbeResult(ok=False, reason=reason, latency_ms=0)
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
    try:
        ipaddress.ip_address(target)
        return target
    except ValueError:
        pass
    try:
        found = {info[4][0] for info in socket.getaddrinfo(target, None)}
    except OSError:
        return target  # the prober reports the resolution failure itself
    internal = [
        a for a in found if any(getattr(ipaddress.ip_address(a), k) for k in INTERNAL_KINDS)
    ]
    return None if internal else target


def _record_results(
    members: list[Member],
    groups: list[Group],
    results: dict[int, probes.ProbeResult],
    location: str,
    started: datetime,
) -> None:
    thresholds = {m.pk: (g.up_threshold, g.down_threshold) for g in groups for m in g.members.all()}
    with transaction.atomic():
        for probe in _locked_probes(members, location):
            if probe.checked_at and probe.checked_at > started:
                continue  # a newer round already recorded this member
            result = results[probe.member_id]
            up, down = thresholds[probe.member_id]
            _observe(probe, result, started, up, down)


def _observe(probe: Probe, result: probes.ProbeResult, now: datetime, up: int, down: int) -> None:
    streak = Streak(
        health=Health(probe.health),
        ok=probe.ok_streak,
        failed=probe.failed_streak,
        since=probe.health_since,
    )
    streak, threshold = decisions.observe(
        streak, result.ok, now, up_threshold=up, down_threshold=down
    )
    Probe.objects.filter(pk=probe.pk).update(
        health=streak.health,
        ok_streak=streak.ok,
        failed_streak=streak.failed,
        health_since=streak.since,
        abstained=False,
        last_ok=result.ok,
        last_reason=result.reason[:255],
        last_threshold=(threshold or "")[:100] if threshold else probe.last_threshold,
        last_latency_ms=round(result.latency_ms, 1),
        checked_at=now,
    )


def _record_abstention(members, location: str, reason: str, now: datetime) -> None:
    with transaction.atomic():
        ids = [p.pk for p in _locked_probes(members, location)]
        Probe.objects.filter(pk__in=ids).update(
            abstained=True, last_reason=f"abstained: {reason}"[:255], checked_at=now
        )


def _locked_probes(members, location: str) -> list[Probe]:
    """This location's probe rows of these members, created when missing, locked."""
    ids = [m.pk for m in members]
    existing = set(
        Probe.objects.filter(member_id__in=ids, location=location).values_list(
            "member_id", flat=True
        )
    )
    Probe.objects.bulk_create(
        [Probe(member_id=pk, location=location) for pk in ids if pk not in existing],
        ignore_conflicts=True,
    )
    query = Probe.objects.filter(member_id__in=ids, location=location)
    if connection.features.has_select_for_update:
        query = query.select_for_update()
    return list(query.order_by("pk"))
