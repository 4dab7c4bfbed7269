"""The group's answer: decided under the group's row lock from what the locations agreed,
published through domains.services (stored only when the name server took it)."""

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from domains import metrics
from domains import services as domain_services
from failover import decisions
from failover.decisions import Answer, Health, Streak, Switch, Vote
from failover.models import Event, Group, Member, Probe
from failover.services import alerts

logger = logging.getLogger(__name__)

SOURCE = "high-availability group"
ALERT_KINDS = {"failover", "recovery", "all-down"}
BREAKER_WINDOW = timedelta(minutes=1)
VISIBLE_DEADLINE = 2.0  # seconds to wait for the primary to serve the new answer


@dataclass(frozen=True)
class MemberState:
    member: Member
    health: Health  # agreed by the locations (or kept, when they do not agree)
    verdict: decisions.Verdict


def group_decide(*, group_id: int, raise_dns_failure: bool = False) -> Answer | None:
    """Recompute the group's answer and publish it when it changed.

    A DNS failure leaves the old answer stored and the group pending, so the next tick
    tries again; raise_dns_failure passes it on (for the first answer at creation).
    """
    with transaction.atomic():
        group = Group.objects.select_for_update().select_related("host").filter(pk=group_id).first()
        if group is None:
            return None  # deleted meanwhile: its checks have stopped
        now = timezone.now()
        states = _member_states(group, now)
        views = [_view(state, now) for state in states]
        answer = decisions.decide(views, _policy(group), _current(group), now)
        all_down = bool(views) and all(view.health == Health.DOWN for view in views)
        if _unchanged(group, answer):
            event = _record_all_down_change(group, answer, all_down)
            if event is None:
                return answer
        elif _breaker_holds(group, answer, now):
            return _current(group)
        else:
            try:
                visible_ms = _publish(group, answer)
            except domain_services.DnsFailure as error:
                _record_pending(group, answer, error)
                if raise_dns_failure:
                    raise
                return _current(group)
            event = _record_answer(group, answer, visible_ms, all_down)
    metrics.ha_event(event.kind)
    if event.kind in ALERT_KINDS:
        alerts.notify(event_id=event.pk)
    return answer


def group_settled(
    *, group: Group, members: Iterable[Member], probes: Mapping[int, list[Probe]], now: datetime
) -> bool:
    """Whether group_decide would find nothing to do: no member's agreed health moves, no
    member is frozen while a location sees it down, the answer (with the members' current
    addresses, switches and hold-downs at `now`) and its all-down flag stand.

    Read-only and without the lock, from rows the caller loaded (`probes`: every
    location's, by member id). A check round decides only the groups that are not settled:
    the locked decision costs a transaction per group, and most rounds change nothing.
    """
    if group.answer is None or group.pending:
        return False
    views = []
    for member in members:
        state = _agreed(member, probes.get(member.pk, []))
        if state.health != member.health or _frozen_down(state, probes.get(member.pk, [])):
            return False
        views.append(_view(state, now))
    answer = decisions.decide(views, _policy(group), _current(group), now)
    all_down = bool(views) and all(view.health == Health.DOWN for view in views)
    return _unchanged(group, answer) and all_down == bool(group.answer.get("all_down"))


def _member_states(group: Group, now: datetime) -> list[MemberState]:
    """Each member's health as the locations agree, with an event for every change."""
    states = []
    members = group.members.select_related("host").prefetch_related("probes")
    for member in members:
        probes = list(member.probes.all())
        state = _agreed(member, probes)
        if state.health != member.health:
            _record_member_change(group, member, state.health, state.verdict, probes, now)
        elif _frozen_down(state, probes):
            _record_frozen(group, member, state.verdict, probes)
        states.append(state)
    return states


def _agreed(member: Member, probes: list[Probe]) -> MemberState:
    """The member's health as the locations' latest votes agree (kept when they do not)."""
    verdict = decisions.tally([_vote(p) for p in probes], len(settings.DDNS_CHECK_LOCATIONS))
    health = member.health if verdict.ok is None else (Health.UP if verdict.ok else Health.DOWN)
    return MemberState(member=member, health=Health(health), verdict=verdict)


def _frozen_down(state: MemberState, probes: list[Probe]) -> bool:
    """No verdict while some location sees the member down: worth a "frozen" event."""
    return state.verdict.ok is None and any(p.health == Health.DOWN for p in probes)


def _vote(probe: Probe) -> Vote:
    if probe.abstained or probe.health == Health.UNKNOWN:
        return Vote(location=probe.location, ok=None, reason=probe.last_reason)
    return Vote(location=probe.location, ok=probe.health == Health.UP, reason=probe.last_reason)


def _view(state: MemberState, now: datetime) -> decisions.MemberView:
    member = state.member
    streak = Streak(health=state.health, since=member.health_since)
    health = decisions.effective_health(streak, Switch(member.switch), member.switch_until, now)
    return decisions.MemberView(
        id=member.pk,
        priority=member.priority,
        addresses=member.published_addresses(),
        health=health,
        since=member.health_since if health == Health.UP else None,
        name=member.name,
    )


def _policy(group: Group) -> decisions.Policy:
    return decisions.Policy(
        mode=decisions.Mode(group.mode),
        failback=group.failback,
        hold_down=timedelta(seconds=group.hold_down),
        max_drop=group.max_drop,
        all_down=decisions.AllDown(group.all_down),
    )


def _current(group: Group) -> Answer | None:
    if not group.answer:
        return None
    stored = group.answer
    return Answer(
        member_ids=tuple(stored["member_ids"]),
        addresses=tuple(stored["addresses"]),
        reason=stored.get("reason", ""),
    )


def _unchanged(group: Group, answer: Answer) -> bool:
    current = _current(group)
    return (
        current is not None
        and not group.pending
        and (current.member_ids, current.addresses) == (answer.member_ids, answer.addresses)
    )


def _breaker_holds(group: Group, answer: Answer, now: datetime) -> bool:
    """Many groups changing at once is the checkers' own network failing: hold still."""
    if group.answer is None:
        return False  # the first answer is the configured primary, not a reaction
    total = Group.objects.count()
    changing = (
        Event.objects.filter(
            kind__in=ALERT_KINDS | {"answer"}, created_at__gte=now - BREAKER_WINDOW
        )
        .exclude(group=group)
        .values("group")
        .distinct()
        .count()
    )
    if not decisions.breaker_open(changing + 1, total, settings.DDNS_HA_BREAKER_SHARE):
        return False
    reason = f"{changing + 1} of {total} groups would change within a minute"
    if not Event.objects.filter(group=group, kind="breaker", reason=reason).exists():
        Event.objects.create(group=group, kind="breaker", new_state="held", reason=reason)
        alerts.notify_operators(reason=reason)
    return True


def _publish(group: Group, answer: Answer) -> float:
    """Send the answer to the name server; returns ms until it serves it."""
    started = time.monotonic()
    ipv4 = [a for a in answer.addresses if ":" not in a]
    ipv6 = [a for a in answer.addresses if ":" in a]
    domain_services.host_publish_set(
        host_id=group.host_id, ipv4=ipv4, ipv6=ipv6, ttl=group.ttl, source=SOURCE
    )
    wanted = set(answer.addresses)
    deadline = started + VISIBLE_DEADLINE
    while time.monotonic() < deadline:
        try:
            if domain_services.host_served_addresses(host_id=group.host_id) == wanted:
                break
        except domain_services.DnsFailure:
            pass
        time.sleep(0.01)
    return (time.monotonic() - started) * 1000


def _record_all_down_change(group: Group, answer: Answer, all_down: bool) -> Event | None:
    """Every member going down (or one coming back) is news even when the answer stays,
    as it does with the "keep the last answer" policy."""
    was_all_down = bool((group.answer or {}).get("all_down"))
    if all_down == was_all_down:
        return None
    Group.objects.filter(pk=group.pk).update(answer={**(group.answer or {}), "all_down": all_down})
    return Event.objects.create(
        group=group,
        kind="all-down" if all_down else "recovery",
        old_state=", ".join(answer.addresses),
        new_state=", ".join(answer.addresses) or "no records (NODATA)",
        reason=answer.reason[:500],
    )


def _record_pending(group: Group, answer: Answer, error: Exception) -> None:
    if not group.pending:
        Event.objects.create(
            group=group,
            kind="dns-error",
            new_state=", ".join(answer.addresses) or "no records",
            reason=f"not published, retried on the next check: {error}"[:500],
        )
    Group.objects.filter(pk=group.pk).update(pending=True)


def _record_answer(group: Group, answer: Answer, visible_ms: float, all_down: bool) -> Event:
    old = _current(group)
    Group.objects.filter(pk=group.pk).update(
        answer={
            "member_ids": list(answer.member_ids),
            "addresses": list(answer.addresses),
            "reason": answer.reason,
            "all_down": all_down,
        },
        generation=group.generation + 1,
        pending=False,
    )
    return Event.objects.create(
        group=group,
        kind=_answer_kind(group, old, answer, all_down),
        old_state=", ".join(old.addresses) if old else "",
        new_state=", ".join(answer.addresses) or "no records (NODATA)",
        reason=answer.reason[:500],
        dns_change=f"{group.host.fqdn} {group.ttl} A/AAAA -> {', '.join(answer.addresses) or '-'}",
        dns_visible_ms=round(visible_ms, 1),
    )


def _answer_kind(group: Group, old: Answer | None, answer: Answer, all_down: bool) -> str:
    """first-answer, all-down, failover (to a worse member), recovery (back to a better
    one), or answer (any other change, e.g. a member that moved)."""
    if old is None:
        return "first-answer"
    if all_down:
        return "all-down"
    moved = old.member_ids[:1] != answer.member_ids[:1]
    if group.mode != "failover" or not (moved and old.member_ids and answer.member_ids):
        return "answer"
    priorities = dict(group.members.values_list("pk", "priority"))
    before = priorities.get(old.member_ids[0])
    better = before is not None and priorities.get(answer.member_ids[0], 0) < before
    return "recovery" if better else "failover"


def _record_member_change(
    group: Group, member: Member, health: str, verdict, probes: list[Probe], now: datetime
) -> None:
    changed = next((p for p in probes if p.health == health and p.last_threshold), None)
    Event.objects.create(
        group=group,
        member=member,
        kind="member",
        old_state=member.health,
        new_state=health,
        reason=(changed.last_reason if changed else verdict.reason)[:500],
        threshold=(changed.last_threshold if changed else "")[:100],
        locations=_locations(probes),
    )
    Member.objects.filter(pk=member.pk).update(health=health, health_since=now)
    member.health, member.health_since = health, now


def _record_frozen(group: Group, member: Member, verdict, probes: list[Probe]) -> None:
    last = Event.objects.filter(member=member).values_list("kind", "reason").first()
    if last != ("frozen", verdict.reason):
        Event.objects.create(
            group=group,
            member=member,
            kind="frozen",
            old_state=member.health,
            new_state=member.health,
            reason=verdict.reason[:500],
            locations=_locations(probes),
        )


def _locations(probes: list[Probe]) -> dict:
    return {
        p.location: {
            "health": p.health,
            "abstained": p.abstained,
            "result": p.last_reason,
            "latency_ms": p.last_latency_ms,
        }
        for p in probes
    }
