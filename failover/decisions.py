"""The pure decisions behind a high-availability group: health, votes and the published answer.

No Django, no ORM, no I/O and no clock reads (`now` is always passed in): the rules that
move a generic name are the part most worth testing exhaustively, and the same inputs must
always give the same answer. Models, tasks and DNS writes call in here; see docs/HA.md for
the systems these rules are modelled on.
"""

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Health(StrEnum):
    UNKNOWN = "unknown"
    UP = "up"
    DOWN = "down"


class Switch(StrEnum):
    AUTO = "auto"
    MAINTENANCE = "maintenance"
    FORCED_UP = "forced-up"
    FORCED_DOWN = "forced-down"


class Mode(StrEnum):
    FAILOVER = "failover"
    ALL_HEALTHY = "all-healthy"


class AllDown(StrEnum):
    KEEP = "keep"
    ALL = "all"
    NONE = "none"


# Per address family: more records buy no extra availability and push answers towards
# truncation over UDP.
MAX_RECORDS = 8


@dataclass(frozen=True)
class Streak:
    """A member's automatic (checked) health and the counters that damp it."""

    health: Health = Health.UNKNOWN
    ok: int = 0  # consecutive successes
    failed: int = 0  # consecutive failures
    since: datetime | None = None  # when `health` last changed (healthy_since when UP)


@dataclass(frozen=True)
class Vote:
    """One checker location's latest result for a member."""

    location: str
    ok: bool | None  # None = the location abstained (its canary failed)
    reason: str = ""


@dataclass(frozen=True)
class Verdict:
    ok: bool | None  # None = frozen: no quorum or no majority; the streak must not move
    reason: str


@dataclass(frozen=True)
class MemberView:
    id: int
    priority: int  # lower is preferred (the order members were given)
    addresses: tuple[str, ...]  # what this member publishes now; may be empty
    health: Health  # effective health
    since: datetime | None = None  # when it last became UP (for hold-down)
    name: str = ""  # for the reasons people read in the timeline


@dataclass(frozen=True)
class Policy:
    mode: Mode = Mode.FAILOVER
    failback: bool = True
    hold_down: timedelta = timedelta(seconds=60)
    max_drop: int = 1  # all-healthy: most members dropped from the answer in one step (>= 1)
    all_down: AllDown = AllDown.KEEP


@dataclass(frozen=True)
class Answer:
    """What the generic name publishes.

    `reason` is left out of equality so that `answer == current` means "DNS need not change".
    """

    member_ids: tuple[int, ...]  # who is published, in priority order
    addresses: tuple[str, ...]  # deduplicated, IPv4 first, each family in priority order
    reason: str = field(compare=False)


# -- health ---------------------------------------------------------------------------------


def observe(
    streak: Streak, ok: bool, now: datetime, *, up_threshold: int, down_threshold: int
) -> tuple[Streak, str | None]:
    """Fold one check result into a streak; the reason names the threshold that fired.

    Separate thresholds give hysteresis: a flapping member never collects enough results in
    a row to move. An UNKNOWN member goes UP on its first success so the answer settles
    quickly after a start (as PowerDNS does), but DOWN still needs `down_threshold`.
    """
    if up_threshold < 1 or down_threshold < 1:
        raise ValueError("thresholds must be at least 1")
    if ok:
        return _succeeded(streak, now, up_threshold)
    return _failed(streak, now, down_threshold)


def _succeeded(streak: Streak, now: datetime, up_threshold: int) -> tuple[Streak, str | None]:
    after = Streak(streak.health, streak.ok + 1, 0, streak.since)
    if streak.health == Health.UNKNOWN:
        return replace(after, health=Health.UP, since=now), "first check succeeded"
    if streak.health == Health.DOWN and after.ok >= up_threshold:
        count = _count(after.ok, "consecutive success", "es")
        reason = f"{count} (up threshold {up_threshold})"
        return replace(after, health=Health.UP, since=now), reason
    return after, None


def _failed(streak: Streak, now: datetime, down_threshold: int) -> tuple[Streak, str | None]:
    after = Streak(streak.health, 0, streak.failed + 1, streak.since)
    if streak.health != Health.DOWN and after.failed >= down_threshold:
        count = _count(after.failed, "consecutive failure", "s")
        reason = f"{count} (down threshold {down_threshold})"
        return replace(after, health=Health.DOWN, since=now), reason
    return after, None


_SWITCHED = {
    Switch.MAINTENANCE: Health.DOWN,
    Switch.FORCED_DOWN: Health.DOWN,
    Switch.FORCED_UP: Health.UP,
}


def effective_health(
    streak: Streak, switch: Switch, switch_until: datetime | None, now: datetime
) -> Health:
    """The health decisions use: an operator's switch wins over checks until it expires.

    Expiry is judged here rather than by a cleanup job so a late job cannot keep a member
    in maintenance past the time the operator chose.
    """
    if switch_until is not None and switch_until <= now:
        return streak.health
    return _SWITCHED.get(switch, streak.health)


def tally(votes: list[Vote], locations: int) -> Verdict:
    """Combine the locations' latest votes into one result, or freeze when they can't decide.

    A checker whose own network fails abstains (canary) or goes silent; requiring a quorum
    and a strict majority keeps one broken location from moving a member.
    """
    if locations < 1:
        raise ValueError("at least one checker location is needed")
    latest = {vote.location: vote for vote in votes}  # a repeated location counts once: last
    voting = [vote for vote in latest.values() if vote.ok is not None]
    note = _absent(len(latest) - len(voting), locations - len(latest))
    if 2 * len(voting) <= locations:
        return Verdict(None, f"no quorum: {len(voting)} of {locations} locations voting{note}")
    down = [vote for vote in voting if not vote.ok]
    up = [vote for vote in voting if vote.ok]
    for side, word, ok in ((down, "down", False), (up, "up", True)):
        if 2 * len(side) > len(voting):
            return Verdict(ok, _majority(side, len(voting), word) + note + _reasons(side))
    return Verdict(None, f"no majority: {len(down)} down, {len(up)} up{note}")


def _majority(side: list[Vote], voting: int, word: str) -> str:
    noun = "location" if voting == 1 else "locations"
    verb = "sees" if len(side) == 1 else "see"
    return f"{len(side)} of {voting} {noun} {verb} it {word}"


def _absent(abstained: int, silent: int) -> str:
    parts = [f"{abstained} abstained"] if abstained else []
    parts += [f"{silent} not reporting"] if silent > 0 else []
    return f" ({', '.join(parts)})" if parts else ""


def _reasons(side: list[Vote]) -> str:
    reasons = list(dict.fromkeys(vote.reason for vote in side if vote.reason))
    return f": {'; '.join(reasons)}" if reasons else ""


# -- the answer -----------------------------------------------------------------------------


def decide(
    members: list[MemberView], policy: Policy, current: Answer | None, now: datetime
) -> Answer:
    """The answer the generic name should publish now.

    Deterministic: members are ranked by (priority, id) whatever their order, and when
    nothing changed the result equals `current`, so callers write DNS only on a difference.
    """
    ranked = sorted(members, key=_rank)
    if current is None and all(m.health == Health.UNKNOWN for m in ranked):
        # A defined answer before the first check completes, instead of NODATA.
        return _primary(ranked, "primary before the first check")
    if policy.mode == Mode.ALL_HEALTHY:
        return _all_healthy(ranked, policy, current)
    return _failover(ranked, policy, current, now)


def _failover(
    ranked: list[MemberView], policy: Policy, current: Answer | None, now: datetime
) -> Answer:
    """One member holds the name; it moves only when it goes down or on a settled failback."""
    holder = _holder(ranked, current)
    up = [m for m in ranked if m.health == Health.UP and _available(m)]
    if holder is not None and _available(holder) and holder.health != Health.DOWN:
        return _keep_or_fail_back(holder, up, policy, now)
    if up:
        return _publish([up[0]], f"{_name(up[0])} took over: {_vacated(holder, current)}")
    return _all_down(ranked, policy, current)


def _holder(ranked: list[MemberView], current: Answer | None) -> MemberView | None:
    """The member holding the name: the sole member of the current answer.

    A several-member answer (serve-all while everything was down, or one left from
    all-healthy mode) has no holder, so the best UP member takes the name from it.
    """
    if current is None or len(current.member_ids) != 1:
        return None
    return next((m for m in ranked if m.id == current.member_ids[0]), None)


def _vacated(holder: MemberView | None, current: Answer | None) -> str:
    if current is None or not current.member_ids:
        return "nobody held the name"
    if len(current.member_ids) > 1:
        return f"replacing the {len(current.member_ids)}-member answer"
    if holder is None:
        return f"member {current.member_ids[0]} is gone"
    if not _available(holder):
        return f"{_name(holder)} has no address"
    return f"{_name(holder)} is down"


def _keep_or_fail_back(
    holder: MemberView, up: list[MemberView], policy: Policy, now: datetime
) -> Answer:
    """Sticky holder; a better member takes the name back only once it has proved itself."""
    better = [m for m in up if _rank(m) < _rank(holder)]
    keeps = f"{_name(holder)} keeps the name"
    if not better:
        return _publish([holder], f"{keeps}: it is {holder.health}")
    if not policy.failback:
        return _publish([holder], f"{keeps}: failback is off ({_name(better[0])} is up)")
    settled = [m for m in better if _held_down(m, policy.hold_down, now)]
    if settled:
        back = settled[0]
        healthy = _healthy_for(back, now)
        return _publish(
            [back], f"{_name(back)} is back and {healthy} (hold-down {_secs(policy.hold_down)})"
        )
    waiting = better[0]
    return _publish(
        [holder],
        f"{keeps}: {_name(waiting)} is back but {_healthy_for(waiting, now)} "
        f"(hold-down {_secs(policy.hold_down)})",
    )


def _held_down(member: MemberView, hold_down: timedelta, now: datetime) -> bool:
    """UP for at least `hold_down`; an UP member with no `since` has not proved how long."""
    if hold_down <= timedelta(0):
        return True
    return member.since is not None and member.since <= now - hold_down


def _healthy_for(member: MemberView, now: datetime) -> str:
    if member.since is None:
        return "has been healthy for an unknown time"
    return f"has been healthy for {_secs(now - member.since)}"


def _all_healthy(ranked: list[MemberView], policy: Policy, current: Answer | None) -> Answer:
    """Publish every UP member; damp removals so a checker outage can't empty the answer.

    UNKNOWN members already published stay until known DOWN. The all-down policy applies
    only when nothing is left to publish (no UP member and no such UNKNOWN one).
    """
    published = set(current.member_ids) if current else set()
    available = [m for m in ranked if _available(m)]
    up = [m for m in available if m.health == Health.UP]
    staying = [m for m in available if m.health == Health.UNKNOWN and m.id in published]
    if not up and not staying:
        return _all_down(ranked, policy, current)
    leaving = [m for m in available if m.id in published and m.health == Health.DOWN]
    max_drop = max(1, policy.max_drop)
    held = leaving[: max(0, len(leaving) - max_drop)]  # the best-priority ones stay longest
    chosen = sorted([*up, *staying, *held], key=_rank)
    answer = _publish(chosen, "")
    clauses = [
        (staying, "keeping {} until checked"),
        (leaving[len(held) :], "dropping {}: down"),
        (held, f"keeping {{}} for now: at most {max_drop} dropped per step"),
        ([m for m in chosen if m.id not in answer.member_ids], _CAPPED),
    ]
    parts = [f"{len(up)} of {len(ranked)} members up"]
    parts += [text.format(_names(group)) for group, text in clauses if group]
    return replace(answer, reason="; ".join(parts))


_CAPPED = f"leaving out {{}}: at most {MAX_RECORDS} addresses per family"


def _all_down(ranked: list[MemberView], policy: Policy, current: Answer | None) -> Answer:
    """No member to publish: the configured fallback (never NODATA unless asked for)."""
    state = _outage(ranked)
    if policy.all_down == AllDown.NONE:
        return Answer((), (), f"{state}: publishing nothing (NODATA)")
    if policy.all_down == AllDown.ALL:
        return _publish(ranked, f"{state}: serving every member")
    return _keep(ranked, current, state)


def _keep(ranked: list[MemberView], current: Answer | None, state: str) -> Answer:
    """The last answer's members, from their current addresses (a host that moved shows).

    With no last answer, the primary; when none of the last members can be published any
    more, the last answer verbatim rather than nothing.
    """
    if current is None or not current.member_ids:
        return _primary(ranked, f"{state}: publishing the primary")
    reason = f"{state}: keeping the last answer"
    kept = _publish([m for m in ranked if m.id in current.member_ids], reason)
    return kept if kept.member_ids else replace(current, reason=reason)


def _outage(ranked: list[MemberView]) -> str:
    if any(m.health == Health.UP for m in ranked):
        return "no member with an address is up"
    if ranked and all(m.health == Health.DOWN for m in ranked):
        return "every member is down"
    return "no member is up"


def _primary(ranked: list[MemberView], reason: str) -> Answer:
    """The configured primary: the best-priority member that has an address."""
    primary = next((m for m in ranked if _available(m)), None)
    if primary is None:
        return Answer((), (), "no member has an address to publish")
    return _publish([primary], reason)


def _publish(chosen: Sequence[MemberView], reason: str) -> Answer:
    """Build the records: deduplicated, IPv4 first, priority order, MAX_RECORDS per family.

    A member counts as published when at least one of its addresses is in the answer,
    including one it shares with a better member.
    """
    families: dict[int, list[IPAddress]] = {4: [], 6: []}
    ids = []
    for member in chosen:
        placed = False
        for address in _usable(member):
            family = families[address.version]
            if address not in family and len(family) < MAX_RECORDS:
                family.append(address)
            placed = placed or address in family
        if placed:
            ids.append(member.id)
    addresses = tuple(str(a) for a in [*families[4], *families[6]])
    return Answer(tuple(ids), addresses, reason)


def _usable(member: MemberView) -> list[IPAddress]:
    """Its addresses that parse: anything else can't be an A/AAAA record, and one bad value
    must not stop the whole group from failing over."""
    usable = []
    for text in member.addresses:
        try:
            usable.append(ipaddress.ip_address(text.strip()))
        except ValueError:
            continue
    return usable


def _available(member: MemberView) -> bool:
    return bool(_usable(member))


def _rank(member: MemberView) -> tuple[int, int]:
    return (member.priority, member.id)


def _name(member: MemberView) -> str:
    label = member.name or f"member {member.id}"
    return f"{label} (priority {member.priority})"


def _names(members: list[MemberView]) -> str:
    return ", ".join(_name(m) for m in members)


def _secs(span: timedelta) -> str:
    return f"{span.total_seconds():g} s"


def _count(n: int, noun: str, plural: str) -> str:
    return f"{n} {noun}{'' if n == 1 else plural}"


# -- the checkers and the clock -------------------------------------------------------------


def breaker_open(
    changing_groups: int, total_groups: int, share: float = 0.5, minimum: int = 3
) -> bool:
    """Many groups failing at once more likely means the checkers' own network failed.

    Below `minimum` groups a single failure is already a large share, so never trip there.
    """
    return total_groups >= minimum and changing_groups > share * total_groups


def failover_time_bound(interval: float, down_threshold: int, timeout: float, ttl: int) -> float:
    """Worst-case seconds from a failure to resolvers seeing the change (docs/HA.md).

    The failure may land just after a check (up to one interval of phase), then needs
    `down_threshold` failing checks, the last one taking up to `timeout`, then the old
    records live for a TTL in caches. The DNS update itself takes about no time.
    """
    return interval + (down_threshold - 1) * interval + timeout + ttl
