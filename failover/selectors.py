"""Reads for groups: owner-scoped lookups, member rows, the timeline and uptime."""

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from domains import services as domain_services
from failover.models import Event, Group, Member

UPTIME_WINDOW = timedelta(hours=24)
UPTIME_SLOTS = 48  # half-hour slots in the bar


def groups_of(user) -> QuerySet[Group]:
    return Group.objects.filter(host__owner=user).select_related("host")


def group_of(user, pk: int) -> Group:
    """The user's group, or 404: another user's group looks exactly like a missing one."""
    return get_object_or_404(groups_of(user), pk=pk)


def group_by_fqdn(fqdn: str) -> Group | None:
    return Group.objects.select_related("host").filter(host__fqdn=fqdn).first()


def check_text(group: Group) -> str:
    """The check in one line, e.g. "https :8200 /v1/sys/health every 10 s, 3 down / 2 up"."""
    target = "" if group.check_kind == "tcp" else f" {group.check_path}"
    return (
        f"{group.check_kind} :{group.check_port}{target} every {group.interval} s, "
        f"{group.down_threshold} down / {group.up_threshold} up, timeout {group.timeout:g} s"
    )


def member_rows(group: Group) -> list[dict]:
    published = set((group.answer or {}).get("member_ids", []))
    rows = []
    for member in group.members.select_related("host").prefetch_related("probes"):
        probes = sorted(member.probes.all(), key=lambda p: p.checked_at or timezone.now())
        last = probes[-1] if probes else None
        state = member.health if member.switch == "auto" else member.switch
        rows.append(
            {
                "member": member,
                "priority": member.priority,
                "name": member.name,
                "state": state,
                "published": member.pk in published,
                "last": last.last_reason if last else "not checked yet",
                "latency_ms": last.last_latency_ms if last else None,
                "checked_at": last.checked_at if last else None,
                "probes": probes,
            }
        )
    return rows


def negative_caching_seconds(group: Group) -> int | None:
    """How long resolvers keep an empty answer for the generic name (RFC 2308: the lesser
    of the SOA's TTL and its minimum field); None when the primary does not answer."""
    return domain_services.domain_negative_ttl(domain=group.host.domain)


def events_of(group: Group, limit: int = 100) -> list[Event]:
    return list(group.events.select_related("member__host")[:limit])


def uptime(member: Member, now: datetime | None = None) -> list[dict]:
    """The member's checked state over the last 24 hours in half-hour slots, from its
    transition events (no per-check rows are kept): share of each slot spent up."""
    now = now or timezone.now()
    start = now - UPTIME_WINDOW
    changes = list(
        Event.objects.filter(member=member, kind="member", created_at__gte=start)
        .order_by("created_at")
        .values_list("created_at", "new_state")
    )
    before = (
        Event.objects.filter(member=member, kind="member", created_at__lt=start)
        .values_list("new_state", flat=True)
        .first()
    )
    state = before or ("unknown" if changes else member.health)
    slot = UPTIME_WINDOW / UPTIME_SLOTS
    slots = []
    for i in range(UPTIME_SLOTS):
        begin, end = start + i * slot, start + (i + 1) * slot
        up, state = _time_up(changes, state, begin, min(end, now))
        slots.append({"start": begin, "up": up})
    return slots


def _time_up(changes, state: str, begin: datetime, end: datetime) -> tuple[float | None, str]:
    """Share of [begin, end) spent up (None when the state was unknown throughout)."""
    total, up, known, cursor = (end - begin).total_seconds(), 0.0, 0.0, begin
    for at, new_state in changes:
        if begin <= at < end:
            length = (at - cursor).total_seconds()
            up += length if state == "up" else 0.0
            known += length if state != "unknown" else 0.0
            cursor, state = at, new_state
    length = (end - cursor).total_seconds()
    up += length if state == "up" else 0.0
    known += length if state != "unknown" else 0.0
    if total <= 0 or known == 0:
        return None, state
    return up / known, state
