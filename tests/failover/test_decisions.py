"""The pure failover decisions: streaks, switches, votes, answers. No database, no DNS, no clock.

The personas are three Vault nodes: vault-a (member 1, the primary), vault-b (member 2) and
vault-c (member 3), each publishing 192.0.2.<n> unless a test says otherwise.
"""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from failover.decisions import (
    MAX_RECORDS,
    AllDown,
    Answer,
    Health,
    MemberView,
    Mode,
    Policy,
    Streak,
    Switch,
    Verdict,
    Vote,
    breaker_open,
    decide,
    effective_health,
    failover_time_bound,
    observe,
    tally,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
AN_HOUR_AGO = NOW - timedelta(hours=1)
UP, DOWN, UNKNOWN = Health.UP, Health.DOWN, Health.UNKNOWN
ALL_HEALTHY = Policy(mode=Mode.ALL_HEALTHY)


def vault(n: int, health: Health = UP, *, since=AN_HOUR_AGO, addresses=None) -> MemberView:
    """Member n (vault-a is 1) at priority n, up for an hour unless told otherwise."""
    addresses = (f"192.0.2.{n}",) if addresses is None else tuple(addresses)
    return MemberView(id=n, priority=n, addresses=addresses, health=health, since=since)


def answer(*members: MemberView) -> Answer:
    """The answer publishing exactly these members (the reason doesn't take part in ==)."""
    addresses = tuple(a for m in members for a in m.addresses)
    return Answer(tuple(m.id for m in members), addresses, "")


def run(streak: Streak, results: str, *, up: int = 2, down: int = 3) -> tuple[Streak, list]:
    """Feed results written as "+-+" (success, failure, ...); returns the streak and reasons."""
    reasons = []
    for i, result in enumerate(results):
        streak, reason = observe(
            streak, result == "+", NOW + timedelta(seconds=i), up_threshold=up, down_threshold=down
        )
        reasons.append(reason)
    return streak, reasons


# -- observe ----------------------------------------------------------------------------------


def test_an_unknown_member_is_up_on_its_first_success():
    streak, reason = observe(Streak(), True, NOW, up_threshold=5, down_threshold=3)
    assert streak == Streak(UP, ok=1, failed=0, since=NOW)
    assert reason == "first check succeeded"


def test_an_unknown_member_goes_down_only_after_the_down_threshold():
    streak, reasons = run(Streak(), "---")
    assert streak.health == DOWN
    assert reasons == [None, None, "3 consecutive failures (down threshold 3)"]
    assert streak.since == NOW + timedelta(seconds=2)


def test_an_up_member_goes_down_after_the_down_threshold_of_consecutive_failures():
    streak, reasons = run(Streak(UP, ok=9, since=AN_HOUR_AGO), "--+---")
    assert streak.health == DOWN
    assert reasons == [None, None, None, None, None, "3 consecutive failures (down threshold 3)"]


def test_a_down_member_comes_back_after_the_up_threshold_of_consecutive_successes():
    streak, reasons = run(Streak(DOWN, failed=4, since=AN_HOUR_AGO), "+-++")
    assert streak == Streak(UP, ok=2, failed=0, since=NOW + timedelta(seconds=3))
    assert reasons[-1] == "2 consecutive successes (up threshold 2)"


def test_a_success_resets_the_failures_and_a_failure_resets_the_successes():
    assert run(Streak(UP, ok=3), "--+")[0] == Streak(UP, ok=1, failed=0)
    assert run(Streak(UP, ok=3), "-")[0] == Streak(UP, ok=0, failed=1)


@pytest.mark.parametrize("health", [UP, DOWN])
@pytest.mark.parametrize("pattern", ["+-" * 20, "-+" * 20, "++-" * 10, "--+" * 10])
def test_flapping_results_never_move_health_held_by_the_thresholds(health, pattern):
    start = Streak(health, since=AN_HOUR_AGO)
    streak, reasons = run(start, pattern, up=3, down=3)
    assert streak.health == health
    assert streak.since == AN_HOUR_AGO
    assert set(reasons) == {None}


def test_thresholds_of_one_move_on_a_single_result_and_say_so_in_the_singular():
    streak, reasons = run(Streak(UP), "-+", up=1, down=1)
    assert streak.health == UP
    assert reasons == [
        "1 consecutive failure (down threshold 1)",
        "1 consecutive success (up threshold 1)",
    ]


def test_since_moves_only_when_health_changes():
    streak, _ = run(Streak(UP, since=AN_HOUR_AGO), "++-+")
    assert streak.since == AN_HOUR_AGO


@pytest.mark.parametrize(("up", "down"), [(0, 3), (2, 0)])
def test_thresholds_below_one_are_refused(up, down):
    with pytest.raises(ValueError, match="at least 1"):
        observe(Streak(), True, NOW, up_threshold=up, down_threshold=down)


# -- effective_health -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("switch", "checked", "expected"),
    [
        (Switch.AUTO, UP, UP),
        (Switch.AUTO, DOWN, DOWN),
        (Switch.MAINTENANCE, UP, DOWN),
        (Switch.FORCED_DOWN, UP, DOWN),
        (Switch.FORCED_UP, DOWN, UP),
        (Switch.FORCED_UP, UNKNOWN, UP),
    ],
)
def test_a_switch_without_expiry_overrides_the_checks(switch, checked, expected):
    assert effective_health(Streak(checked), switch, None, NOW) == expected


def test_auto_follows_the_checks_including_unknown():
    assert effective_health(Streak(UNKNOWN), Switch.AUTO, None, NOW) == UNKNOWN


@pytest.mark.parametrize(
    ("until", "expected"),
    [(NOW + timedelta(seconds=1), DOWN), (NOW, UP), (NOW - timedelta(seconds=1), UP)],
)
def test_maintenance_lasts_until_its_expiry_and_then_counts_as_auto(until, expected):
    assert effective_health(Streak(UP), Switch.MAINTENANCE, until, NOW) == expected


def test_an_expired_forced_up_falls_back_to_the_checks():
    assert effective_health(Streak(DOWN), Switch.FORCED_UP, NOW, NOW) == DOWN
    assert effective_health(Streak(DOWN), Switch.FORCED_UP, NOW + timedelta(1), NOW) == UP


def test_a_switch_read_back_as_a_plain_string_works():
    assert effective_health(Streak(UP), "maintenance", None, NOW) == DOWN  # type: ignore[arg-type]


# -- tally ------------------------------------------------------------------------------------


@pytest.mark.parametrize("ok", [True, False])
def test_with_one_location_the_verdict_is_simply_its_vote(ok):
    verdict = tally([Vote("fra", ok)], locations=1)
    assert verdict.ok is ok
    assert verdict.reason == f"1 of 1 location sees it {'up' if ok else 'down'}"


def test_with_one_location_an_abstention_freezes():
    verdict = tally([Vote("fra", None, "canary failed")], locations=1)
    assert verdict == Verdict(None, "no quorum: 0 of 1 locations voting (1 abstained)")


def test_a_majority_of_locations_decides_and_shows_their_reasons():
    votes = [Vote("fra", False, "HTTP 503"), Vote("ams", True), Vote("nyc", False, "timeout")]
    assert tally(votes, locations=3) == Verdict(
        False, "2 of 3 locations see it down: HTTP 503; timeout"
    )


def test_without_quorum_the_verdict_is_frozen():
    votes = [Vote("fra", False), Vote("ams", None), Vote("nyc", None)]
    verdict = tally(votes, locations=3)
    assert verdict == Verdict(None, "no quorum: 1 of 3 locations voting (2 abstained)")


def test_exactly_half_the_locations_voting_is_no_quorum():
    assert tally([Vote("fra", False), Vote("ams", False)], locations=4).ok is None


def test_a_silent_location_counts_against_the_quorum():
    verdict = tally([Vote("fra", False)], locations=3)
    assert verdict == Verdict(None, "no quorum: 1 of 3 locations voting (2 not reporting)")


def test_a_tie_among_voting_locations_is_frozen():
    votes = [Vote("fra", False), Vote("ams", True), Vote("nyc", None), Vote("sgp", True)]
    assert tally(votes, locations=4).ok is True
    verdict = tally(votes[:3], locations=3)
    assert verdict == Verdict(None, "no majority: 1 down, 1 up (1 abstained)")


def test_abstentions_shrink_the_vote_once_there_is_quorum():
    votes = [Vote("fra", False), Vote("ams", False), Vote("nyc", None, "canary failed")]
    assert tally(votes, locations=3) == Verdict(False, "2 of 2 locations see it down (1 abstained)")


def test_a_location_voting_twice_counts_once_with_its_last_vote():
    votes = [Vote("fra", False), Vote("fra", False), Vote("fra", True)]
    assert tally(votes, locations=3).ok is None
    assert tally(votes, locations=1).ok is True


def test_no_locations_is_refused():
    with pytest.raises(ValueError, match="location"):
        tally([], locations=0)


# -- decide: before the first check -----------------------------------------------------------


@pytest.mark.parametrize("policy", [Policy(), ALL_HEALTHY])
def test_the_primary_is_published_before_the_first_check(policy):
    members = [vault(2, UNKNOWN), vault(1, UNKNOWN), vault(3, UNKNOWN)]
    result = decide(members, policy, None, NOW)
    assert result == answer(vault(1))
    assert result.reason == "primary before the first check"


def test_the_primary_before_the_first_check_is_the_best_member_with_an_address():
    members = [vault(1, UNKNOWN, addresses=()), vault(2, UNKNOWN)]
    assert decide(members, Policy(), None, NOW) == answer(vault(2))


def test_a_group_with_no_address_at_all_publishes_nothing_and_says_why():
    result = decide([vault(1, UNKNOWN, addresses=())], Policy(), None, NOW)
    assert result == Answer((), (), "")
    assert "no member has an address" in result.reason


def test_once_checked_the_first_answer_is_the_best_up_member():
    members = [vault(1, DOWN), vault(2, UP), vault(3, UNKNOWN)]
    assert decide(members, Policy(), None, NOW) == answer(vault(2))


# -- decide: failover -------------------------------------------------------------------------


def test_the_holder_keeps_the_name_while_it_is_up():
    members = [vault(1, DOWN), vault(2), vault(3)]
    result = decide(members, Policy(), answer(vault(2)), NOW)
    assert result == answer(vault(2))
    assert result.reason == "member 2 (priority 2) keeps the name: it is up"


def test_the_best_up_member_takes_over_when_the_holder_goes_down():
    members = [vault(1, DOWN), vault(2, DOWN), vault(3), vault(4)]
    result = decide(members, Policy(), answer(vault(1)), NOW)
    assert result == answer(vault(3))
    assert result.reason == "member 3 (priority 3) took over: member 1 (priority 1) is down"


def test_the_best_up_member_takes_over_when_the_holder_is_gone():
    result = decide([vault(2), vault(3)], Policy(), answer(vault(1)), NOW)
    assert result == answer(vault(2))
    assert result.reason == "member 2 (priority 2) took over: member 1 is gone"


def test_the_best_up_member_takes_over_when_the_holder_lost_its_addresses():
    members = [vault(1, UP, addresses=()), vault(2)]
    result = decide(members, Policy(), answer(vault(1)), NOW)
    assert result == answer(vault(2))
    assert result.reason.endswith("member 1 (priority 1) has no address")


def test_a_holder_going_unknown_keeps_the_name():
    members = [vault(1, DOWN), vault(2, UNKNOWN), vault(3)]
    result = decide(members, Policy(), answer(vault(2)), NOW)
    assert result == answer(vault(2))
    assert result.reason == "member 2 (priority 2) keeps the name: it is unknown"


@pytest.mark.parametrize(
    ("up_for", "holder"),
    [(timedelta(seconds=59), 2), (timedelta(seconds=60), 1), (timedelta(seconds=61), 1)],
)
def test_a_recovered_primary_takes_the_name_back_only_after_the_hold_down(up_for, holder):
    members = [vault(1, since=NOW - up_for), vault(2)]
    result = decide(members, Policy(hold_down=timedelta(seconds=60)), answer(vault(2)), NOW)
    assert result == answer(vault(holder))


def test_the_failback_reason_says_how_long_against_the_hold_down():
    members = [vault(1, since=NOW - timedelta(seconds=60)), vault(2)]
    result = decide(members, Policy(), answer(vault(2)), NOW)
    assert result.reason == (
        "member 1 (priority 1) is back and has been healthy for 60 s (hold-down 60 s)"
    )
    waiting = decide(
        [vault(1, since=NOW - timedelta(seconds=20)), vault(2)], Policy(), answer(vault(2)), NOW
    )
    assert waiting.reason == (
        "member 2 (priority 2) keeps the name: member 1 (priority 1) is back but "
        "has been healthy for 20 s (hold-down 60 s)"
    )


def test_with_failback_off_the_backup_keeps_the_name():
    members = [vault(1, since=NOW - timedelta(days=1)), vault(2)]
    result = decide(members, Policy(failback=False), answer(vault(2)), NOW)
    assert result == answer(vault(2))
    assert result.reason == (
        "member 2 (priority 2) keeps the name: failback is off (member 1 (priority 1) is up)"
    )


def test_with_failback_off_a_down_holder_still_fails_over():
    members = [vault(1), vault(2, DOWN)]
    assert decide(members, Policy(failback=False), answer(vault(2)), NOW) == answer(vault(1))


def test_a_zero_hold_down_fails_back_on_the_first_good_check():
    members = [vault(1, since=NOW), vault(2)]
    assert decide(members, Policy(hold_down=timedelta(0)), answer(vault(2)), NOW) == answer(
        vault(1)
    )


def test_an_up_member_with_no_since_has_not_served_its_hold_down():
    members = [vault(1, since=None), vault(2)]
    assert decide(members, Policy(), answer(vault(2)), NOW) == answer(vault(2))


def test_failback_goes_to_the_best_member_that_has_served_its_hold_down():
    members = [vault(1, since=NOW - timedelta(seconds=5)), vault(2), vault(3)]
    assert decide(members, Policy(), answer(vault(3)), NOW) == answer(vault(2))


def test_a_host_member_moving_shows_in_the_answer_while_it_holds_the_name():
    before = decide([vault(1), vault(2)], Policy(), None, NOW)
    moved = vault(1, addresses=["198.51.100.7", "2001:db8::7"])
    after = decide([moved, vault(2)], Policy(), before, NOW)
    assert after.member_ids == (1,)
    assert after.addresses == ("198.51.100.7", "2001:db8::7")


def test_an_unchanged_group_returns_an_answer_equal_to_the_current_one():
    members = [vault(1), vault(2)]
    current = decide(members, Policy(), None, NOW)
    again = decide(members, Policy(), current, NOW + timedelta(minutes=5))
    assert again == current
    assert again.addresses == current.addresses


def test_the_order_members_are_given_in_does_not_matter():
    members = [vault(3), vault(1, DOWN), vault(2)]
    assert decide(members, Policy(), None, NOW) == decide(members[::-1], Policy(), None, NOW)


def test_equal_priorities_are_broken_by_id():
    twins = [MemberView(7, 1, ("192.0.2.7",), UP), MemberView(5, 1, ("192.0.2.5",), UP)]
    assert decide(twins, Policy(), None, NOW).member_ids == (5,)


def test_a_member_with_ipv4_and_ipv6_publishes_both_ipv4_first():
    dual = vault(1, addresses=["2001:db8::1", "192.0.2.1", "2001:db8::1:0"])
    result = decide([dual], Policy(), None, NOW)
    assert result.addresses == ("192.0.2.1", "2001:db8::1", "2001:db8::1:0")


def test_an_address_that_does_not_parse_is_never_published():
    broken = vault(1, addresses=["not-an-address"])
    assert decide([broken, vault(2)], Policy(), None, NOW) == answer(vault(2))


def test_a_several_member_answer_has_no_holder_so_the_best_up_member_takes_it():
    members = [vault(1, UNKNOWN), vault(2), vault(3)]
    serving_all = answer(vault(1), vault(2), vault(3))
    assert decide(members, Policy(), serving_all, NOW) == answer(vault(2))


# -- decide: all healthy ----------------------------------------------------------------------


def test_all_healthy_publishes_every_up_member_in_priority_order():
    members = [vault(3), vault(1), vault(2, DOWN), vault(4)]
    result = decide(members, ALL_HEALTHY, None, NOW)
    assert result == answer(vault(1), vault(3), vault(4))
    assert result.reason == "3 of 4 members up"


def test_all_healthy_adds_a_member_that_comes_up():
    current = answer(vault(1))
    result = decide([vault(1), vault(2)], ALL_HEALTHY, current, NOW)
    assert result == answer(vault(1), vault(2))


def test_all_healthy_removes_a_member_that_goes_down():
    current = answer(vault(1), vault(2))
    result = decide([vault(1), vault(2, DOWN)], ALL_HEALTHY, current, NOW)
    assert result == answer(vault(1))
    assert result.reason == "1 of 2 members up; dropping member 2 (priority 2): down"


def test_all_healthy_keeps_an_unknown_member_until_it_is_known_down():
    current = answer(vault(1), vault(2))
    result = decide([vault(1), vault(2, UNKNOWN)], ALL_HEALTHY, current, NOW)
    assert result == current
    assert "keeping member 2 (priority 2) until checked" in result.reason


def test_all_healthy_does_not_add_an_unknown_member():
    current = answer(vault(1))
    assert decide([vault(1), vault(2, UNKNOWN)], ALL_HEALTHY, current, NOW) == current


def test_max_drop_limits_drops_over_successive_steps_keeping_the_best_priority_longest():
    members = [vault(1), vault(2, DOWN), vault(3, DOWN), vault(4, DOWN)]
    current = answer(vault(1), vault(2), vault(3), vault(4))
    steps = []
    for _ in range(4):
        current = decide(members, ALL_HEALTHY, current, NOW)
        steps.append(current.member_ids)
    assert steps == [(1, 2, 3), (1, 2), (1,), (1,)]


def test_max_drop_of_two_drops_two_a_step():
    members = [vault(1), vault(2, DOWN), vault(3, DOWN), vault(4, DOWN)]
    current = answer(vault(1), vault(2), vault(3), vault(4))
    policy = Policy(mode=Mode.ALL_HEALTHY, max_drop=2)
    first = decide(members, policy, current, NOW)
    assert first.member_ids == (1, 2)
    assert "keeping member 2 (priority 2) for now: at most 2 dropped per step" in first.reason
    assert decide(members, policy, first, NOW).member_ids == (1,)


def test_a_gone_member_does_not_use_up_the_drop_allowance():
    members = [vault(1), vault(3, DOWN)]
    current = answer(vault(1), vault(2), vault(3))
    assert decide(members, ALL_HEALTHY, current, NOW) == answer(vault(1))


def test_when_no_member_is_up_the_all_down_policy_applies_instead_of_max_drop():
    members = [vault(1, DOWN), vault(2, DOWN), vault(3, DOWN)]
    current = answer(vault(1), vault(2), vault(3))
    policy = Policy(mode=Mode.ALL_HEALTHY, all_down=AllDown.NONE)
    assert decide(members, policy, current, NOW) == Answer((), (), "")


def test_the_answer_holds_at_most_max_records_addresses_per_family():
    v4 = [vault(n) for n in range(1, 11)]
    v6 = [vault(n, addresses=[f"2001:db8::{n}"]) for n in range(11, 21)]
    result = decide(v4 + v6, ALL_HEALTHY, None, NOW)
    assert result.addresses == (
        *(f"192.0.2.{n}" for n in range(1, MAX_RECORDS + 1)),
        *(f"2001:db8::{n}" for n in range(11, 11 + MAX_RECORDS)),
    )
    assert result.member_ids == (*range(1, 9), *range(11, 19))
    assert "leaving out member 9 (priority 9)" in result.reason


def test_shared_addresses_are_published_once_for_both_members():
    behind_one_nat = [vault(1, addresses=["192.0.2.9"]), vault(2, addresses=["192.0.2.9"])]
    result = decide(behind_one_nat, ALL_HEALTHY, None, NOW)
    assert result.member_ids == (1, 2)
    assert result.addresses == ("192.0.2.9",)


def test_ipv4_and_ipv6_members_publish_ipv4_first_each_family_in_priority_order():
    members = [
        vault(1, addresses=["2001:db8::a"]),
        vault(2, addresses=["192.0.2.2", "2001:db8::b"]),
        vault(3, addresses=["192.0.2.3"]),
    ]
    result = decide(members, ALL_HEALTHY, None, NOW)
    assert result.addresses == ("192.0.2.2", "192.0.2.3", "2001:db8::a", "2001:db8::b")


def test_equal_ipv6_addresses_written_differently_are_deduplicated():
    members = [vault(1, addresses=["2001:DB8:0::1"]), vault(2, addresses=["2001:db8::1"])]
    assert decide(members, ALL_HEALTHY, None, NOW).addresses == ("2001:db8::1",)


@pytest.mark.parametrize("policy", [Policy(), ALL_HEALTHY])
def test_a_member_without_addresses_is_never_published(policy):
    members = [vault(1, addresses=()), vault(2, DOWN), vault(3)]
    current = answer(vault(2))
    assert decide(members, policy, current, NOW) == answer(vault(3))


def test_all_healthy_keeps_published_unknown_members_rather_than_applying_the_all_down_policy():
    members = [vault(1, UNKNOWN), vault(2, DOWN), vault(3, DOWN)]
    current = answer(vault(1), vault(2))
    policy = Policy(mode=Mode.ALL_HEALTHY, all_down=AllDown.NONE)
    assert decide(members, policy, current, NOW) == answer(vault(1))


# -- decide: every member down ----------------------------------------------------------------


@pytest.mark.parametrize("mode", list(Mode))
def test_keep_serves_the_last_answer_when_every_member_is_down(mode):
    members = [vault(1, DOWN), vault(2, DOWN), vault(3, DOWN)]
    current = answer(vault(2))
    result = decide(members, Policy(mode=mode, all_down=AllDown.KEEP), current, NOW)
    assert result == current
    assert result.reason == "every member is down: keeping the last answer"


def test_keep_with_no_last_answer_serves_the_primary():
    members = [vault(1, DOWN, addresses=()), vault(2, DOWN), vault(3, UNKNOWN)]
    result = decide(members, Policy(all_down=AllDown.KEEP), None, NOW)
    assert result == answer(vault(2))
    assert result.reason == "no member is up: publishing the primary"


def test_keep_follows_a_kept_member_that_moved():
    members = [vault(1, DOWN, addresses=["198.51.100.1"]), vault(2, DOWN)]
    assert decide(members, Policy(), answer(vault(1)), NOW).addresses == ("198.51.100.1",)


def test_keep_serves_the_last_answer_verbatim_when_its_members_are_gone():
    current = answer(vault(9))
    assert decide([vault(1, DOWN)], Policy(), current, NOW) == current


@pytest.mark.parametrize("mode", list(Mode))
def test_all_serves_every_member_with_an_address_when_every_member_is_down(mode):
    members = [vault(1, DOWN), vault(2, DOWN, addresses=()), vault(3, DOWN)]
    result = decide(members, Policy(mode=mode, all_down=AllDown.ALL), answer(vault(1)), NOW)
    assert result == answer(vault(1), vault(3))
    assert result.reason == "every member is down: serving every member"


def test_all_is_capped_at_max_records():
    members = [vault(n, DOWN) for n in range(1, 12)]
    result = decide(members, Policy(all_down=AllDown.ALL), answer(vault(1)), NOW)
    assert len(result.addresses) == MAX_RECORDS


@pytest.mark.parametrize("mode", list(Mode))
def test_none_publishes_nothing_when_every_member_is_down(mode):
    members = [vault(1, DOWN), vault(2, DOWN)]
    result = decide(members, Policy(mode=mode, all_down=AllDown.NONE), answer(vault(1)), NOW)
    assert result == Answer((), (), "")
    assert result.reason == "every member is down: publishing nothing (NODATA)"


def test_keep_after_publishing_nothing_serves_the_primary():
    members = [vault(1, DOWN), vault(2, DOWN)]
    assert decide(members, Policy(), Answer((), (), "NODATA"), NOW) == answer(vault(1))


def test_after_publishing_nothing_the_first_member_up_takes_the_name():
    members = [vault(1, DOWN), vault(2)]
    result = decide(members, Policy(), Answer((), (), "NODATA"), NOW)
    assert result == answer(vault(2))
    assert result.reason == "member 2 (priority 2) took over: nobody held the name"


def test_answers_compare_by_members_and_addresses_only():
    assert Answer((1,), ("192.0.2.1",), "one reason") == Answer((1,), ("192.0.2.1",), "another")
    assert Answer((1,), ("192.0.2.1",), "") != Answer((1,), ("192.0.2.9",), "")


# -- the breaker and the time bound -----------------------------------------------------------


@pytest.mark.parametrize(
    ("changing", "total", "tripped"),
    [(2, 3, True), (1, 3, False), (2, 2, False), (5, 10, False), (6, 10, True), (0, 0, False)],
)
def test_the_breaker_opens_when_more_than_half_of_enough_groups_change_at_once(
    changing, total, tripped
):
    assert breaker_open(changing, total) is tripped


def test_the_breaker_share_and_minimum_are_settable():
    assert breaker_open(3, 10, share=0.25) is True
    assert breaker_open(2, 2, minimum=2) is True


@pytest.mark.parametrize(
    ("interval", "threshold", "timeout", "ttl", "bound"),
    [(1, 2, 0.5, 0, 2.5), (60, 1, 10, 60, 130), (30, 3, 4, 60, 154)],
)
def test_the_failover_time_bound_follows_the_formula(interval, threshold, timeout, ttl, bound):
    assert failover_time_bound(interval, threshold, timeout, ttl) == bound


# -- properties -------------------------------------------------------------------------------

POOL = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "2001:db8::1", "2001:db8::2"]
quick = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def addresses(draw) -> tuple[str, ...]:
    """Mostly one to three addresses from a small shared pool; sometimes none."""
    if draw(st.integers(0, 3)) == 0:
        return ()
    return tuple(draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=3)))


@st.composite
def situations(draw) -> tuple[list[MemberView], Answer | None]:
    """A group and the answer it published last: none, one holder, or several (a gone 9 too)."""
    ids = draw(st.lists(st.integers(1, 8), unique=True, max_size=6))
    members = [
        MemberView(
            id=member_id,
            priority=draw(st.integers(1, 4)),
            addresses=addresses(draw),
            health=draw(st.sampled_from(list(Health))),
            since=draw(st.none() | st.integers(0, 300).map(lambda s: NOW - timedelta(seconds=s))),
        )
        for member_id in ids
    ]
    shape = draw(st.sampled_from(["first", "one", "several"]))
    if shape == "first":
        return members, None
    size = 1 if shape == "one" else draw(st.integers(0, len(ids) + 1))
    chosen = draw(st.lists(st.sampled_from([*ids, 9]), unique=True, min_size=size, max_size=size))
    return members, Answer(tuple(chosen), (POOL[0],), "earlier")


failover_policies = st.builds(
    Policy,
    mode=st.just(Mode.FAILOVER),
    failback=st.booleans(),
    hold_down=st.integers(0, 400).map(lambda s: timedelta(seconds=s)),
    all_down=st.sampled_from(list(AllDown)),
)


def has_address(member: MemberView) -> bool:
    return bool(member.addresses)


@quick
@given(situations(), failover_policies)
def test_failover_never_publishes_a_down_member_while_one_with_addresses_is_up(situation, policy):
    members, current = situation
    result = decide(members, policy, current, NOW)
    if any(m.health == UP and has_address(m) for m in members):
        by_id = {m.id: m for m in members}
        assert len(result.member_ids) == 1
        assert by_id[result.member_ids[0]].health != DOWN


@quick
@given(situations(), failover_policies)
def test_failover_answers_are_idempotent_and_ignore_member_order(situation, policy):
    members, current = situation
    result = decide(members, policy, current, NOW)
    assert decide(members, policy, result, NOW) == result
    assert decide(members[::-1], policy, current, NOW) == result


@quick
@given(situations(), st.integers(1, 3))
def test_all_healthy_drops_at_most_max_drop_a_step_and_settles(situation, max_drop):
    members, current = situation
    policy = Policy(mode=Mode.ALL_HEALTHY, max_drop=max_drop)
    publishable = {m.id for m in members if has_address(m)}
    some_up = any(m.health == UP and has_address(m) for m in members)
    for _ in range(len(members) + 1):
        result = decide(members, policy, current, NOW)
        if some_up and current is not None:
            dropped = (set(current.member_ids) & publishable) - set(result.member_ids)
            assert len(dropped) <= max_drop
        current = result
    assert decide(members, policy, current, NOW) == current
    if some_up:
        up = {m.id for m in members if m.health == UP and has_address(m)}
        assert up <= set(current.member_ids)
        assert all(m.health != DOWN for m in members if m.id in current.member_ids)
