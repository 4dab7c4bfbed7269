"""Benchmark: member checks per second that ONE Celery worker process keeps on schedule.

    .venv/bin/python bench/checks.py                         # 500, 750, 1000 groups x 3, 3 s
    .venv/bin/python bench/checks.py --groups 500 --duration 30
    .venv/bin/python bench/checks.py --members 2 --interval 1 --groups 250,400
    .venv/bin/python bench/checks.py --profile /tmp/prof     # py-spy on the worker

A fresh named and PostgreSQL database, the groups (created through failover.services),
loopback member servers answering `200 ok` after 10 ms (bench/members.py), then the
production path: `celery beat` sends check_due every tick to Redis and one
`celery worker -Q checks.default --pool solo` runs the rounds. Each step makes the first
N groups due, spread evenly over one interval, waits a warm-up, then samples the database
(Probe.checked_at, Schedule.next_due_at) every 0.2 s for --duration seconds:

- checks/s: distinct (member, checked_at) recorded in the window;
- lateness: checked_at (the round's start) minus the due time the round claimed;
- recorded after: when the result was first seen in the database, minus checked_at.

A step keeps the schedule when it did at least 97% of the offered checks and no check was
an interval late or more. Target: a kept step of >= 500 checks/s. Prints the figures and
PASS/FAIL, exits 0 whatever they are (1 when the set-up failed, 130 when interrupted).
"""

import argparse
import contextlib
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # as in update_path.py: bench/profile.py must not hide `profile`

from bench import ha, profile  # noqa: E402
from bench.ha_dataset import member_target  # noqa: E402
from bench.update_path import background_busy  # noqa: E402
from devtools import named  # noqa: E402

TARGET = 500.0  # checks/s
KEPT_SHARE = 0.97  # of the offered checks, for a step to count as on schedule
SAMPLE_SECONDS = 0.2


@dataclass
class Step:
    groups: int
    offered: float  # checks/s the schedule asks for
    window: float = 0.0  # seconds measured
    checks: int = 0
    lateness: list[float] = field(default_factory=list)  # seconds, one per member check
    recorded_after: list[float] = field(default_factory=list)
    probes_sent: int = 0  # requests the member servers received in the window
    worker_cpu: float = 0.0  # seconds of CPU the worker used in the window
    busy_before: float = 0.0
    profile: str = ""

    @property
    def rate(self) -> float:
        return self.checks / self.window if self.window else 0.0

    def late(self, interval: float) -> int:
        return sum(1 for late in self.lateness if late >= interval)

    def kept(self, interval: float) -> bool:
        return self.rate >= KEPT_SHARE * self.offered and not self.late(interval)


class Sampler:
    """What the database shows every SAMPLE_SECONDS: each check once, each due time seen."""

    def __init__(self, connection, member_group: dict[int, int]) -> None:
        self.connection = connection
        self.member_group = member_group
        self.first_seen: dict[tuple[int, datetime], datetime] = {}
        self.dues: dict[int, set[datetime]] = {}

    def reset_dues(self) -> None:
        self.dues = {}

    def sample(self) -> None:
        now = datetime.now(UTC)
        for group_id, due in ha.due_at(self.connection).items():
            self.dues.setdefault(group_id, set()).add(due)
        for member_id, checked in ha.checked_at(self.connection).items():
            if checked is not None:
                self.first_seen.setdefault((member_id, checked), now)

    def run_until(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            started = time.monotonic()
            self.sample()
            time.sleep(max(0.0, SAMPLE_SECONDS - (time.monotonic() - started)))

    def measure(self, step: Step, start: datetime, end: datetime) -> None:
        """Fill the step's checks, lateness and delays from the checks made in [start, end)."""
        for (member_id, checked), seen in self.first_seen.items():
            if not start <= checked < end:
                continue
            dues = [d for d in self.dues.get(self.member_group[member_id], ()) if d <= checked]
            step.checks += 1
            step.lateness.append((checked - max(dues)).total_seconds() if dues else float("inf"))
            step.recorded_after.append((seen - checked).total_seconds())


def run_step(
    n: int, args: argparse.Namespace, stack: ha.Stack, servers, sampler, worker_pid: int
) -> Step:
    step = Step(groups=n, offered=n * args.members / args.interval)
    group_ids = [g["id"] for g in stack.groups]
    step.busy_before = background_busy()
    connection = sampler.connection
    ha.schedule_park(connection, group_ids[n:])
    ha.schedule_spread(connection, group_ids[:n], args.interval, _utc_in(0.5))
    sampler.reset_dues()
    sampler.run_until(time.monotonic() + 0.5 + args.warmup)
    start, cpu_before, sent_before = datetime.now(UTC), _cpu(worker_pid), servers.requests()
    recorders = _profile_start(args, worker_pid, n)
    sampler.run_until(time.monotonic() + args.duration)
    end = datetime.now(UTC)
    step.window = (end - start).total_seconds()
    step.worker_cpu = _cpu(worker_pid) - cpu_before
    step.probes_sent = servers.requests() - sent_before
    # Checks that started inside the window are recorded up to a round later.
    sampler.run_until(time.monotonic() + args.interval + 3)
    sampler.measure(step, start, end)
    if recorders:
        step.profile = profile.finish(recorders, args.profile / f"groups-{n}")
    ha.schedule_park(connection, group_ids)
    return step


def _utc_in(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def _cpu(pid: int) -> float:
    return profile.cpu_seconds([pid])


def _profile_start(args: argparse.Namespace, pid: int, n: int) -> list:
    if not args.profile:
        return []
    return profile.start([pid], args.duration, args.profile / f"groups-{n}", not args.cpu_only)


def wait_until_checking(stack: ha.Stack, sampler: Sampler, interval: int) -> float:
    """Readiness is a recorded check of every member, not a sleep. It also gets every
    member past its first check (unknown -> up: one locked decision per group), a one-off
    cost of new groups that the steady state measured afterwards does not have."""
    group_ids = [g["id"] for g in stack.groups]
    ha.schedule_spread(sampler.connection, group_ids, interval, datetime.now(UTC))
    members = set(sampler.member_group)

    def decided() -> bool:
        seen = ha.checked_at(sampler.connection)
        return all(seen.get(pk) for pk in members) and not ha.unknown_members(sampler.connection)

    took = ha.wait_for("every member's first check", decided, timeout=300, pause=0.5)
    ha.schedule_park(sampler.connection, group_ids)
    return took


def bench(args: argparse.Namespace, workdir: Path) -> list[Step]:
    steps = []
    with contextlib.ExitStack() as stack:
        port = named.free_port()
        total = max(args.groups) * args.members
        targets = [member_target(i) for i in range(total)]
        servers = ha.MemberServers(stack, workdir, targets, port, args.delay)
        check = {
            "check_kind": "http",
            "check_port": port,
            "interval": args.interval,
            "timeout": args.timeout,
            "down_threshold": 2,
            "up_threshold": 1,
        }
        print(f"creating {max(args.groups)} groups of {args.members} members ...", flush=True)
        running = ha.set_up(stack, workdir, max(args.groups), args.members, check)
        worker_pid = ha.start_worker(stack, running.env, workdir)
        ha.start_beat(stack, running.env, workdir)
        connection = stack.enter_context(ha.connect(running.database_url))
        member_group = {m["id"]: g["id"] for g in running.groups for m in g["members"]}
        sampler = Sampler(connection, member_group)
        took = wait_until_checking(running, sampler, args.interval)
        print(f"every member checked once after {took:.1f} s", flush=True)
        for n in args.groups:
            step = run_step(n, args, running, servers, sampler, worker_pid)
            print_step(step, args)
            steps.append(step)
    return steps


def print_step(step: Step, args: argparse.Namespace) -> None:
    late = step.lateness or [0.0]
    print(
        f"  {step.groups} groups: offered {step.offered:.0f}/s, did {step.rate:.1f} checks/s,"
        f" lateness p50 {statistics.median(late):.2f} s max {max(late):.2f} s,"
        f" {step.late(args.interval)} late by an interval, worker CPU"
        f" {step.worker_cpu / step.window:.0%} (CPU busy before: {step.busy_before:.0%})",
        flush=True,
    )
    if step.profile:
        print(step.profile, flush=True)


def print_report(steps: list[Step], args: argparse.Namespace) -> None:
    print(
        f"\n## Figures ({args.members} members per group, interval {args.interval} s, members"
        f" answer after {args.delay * 1000:g} ms, {args.duration} s per step)\n"
    )
    print(
        "| groups | offered checks/s | checks/s | probes/s | lateness p50 s | p99 s | max s "
        "| late >= interval | recorded after p50 s | p99 s | worker CPU | CPU ms/check "
        "| kept | CPU busy before |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for s in steps:
        late, after = s.lateness or [0.0], s.recorded_after or [0.0]
        cpu_ms = s.worker_cpu * 1000 / max(s.checks, 1)
        print(
            f"| {s.groups} | {s.offered:.0f} | {s.rate:.1f} | {s.probes_sent / s.window:.1f} "
            f"| {statistics.median(late):.2f} | {ha.percentile(late, 0.99):.2f} "
            f"| {max(late):.2f} | {s.late(args.interval)} | {statistics.median(after):.2f} "
            f"| {ha.percentile(after, 0.99):.2f} | {s.worker_cpu / s.window:.0%} | {cpu_ms:.2f} "
            f"| {'yes' if s.kept(args.interval) else 'no'} | {s.busy_before:.0%} |"
        )
    kept = [s.rate for s in steps if s.kept(args.interval)]
    best = max(kept, default=0.0)
    verdict = "PASS" if best >= TARGET else "**FAIL**"
    print("\n## Target\n")
    print("| target | measured | wanted | result |")
    print("|---|---:|---:|---|")
    print(f"| checks/s one worker keeps on schedule | {best:.1f} | >= {TARGET:.0f} | {verdict} |")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--groups", default="500,750,1000", help="comma-separated group counts, one step each"
    )
    parser.add_argument("--members", type=int, default=3, help="members per group")
    parser.add_argument("--interval", type=int, default=3, help="check interval, seconds")
    parser.add_argument("--timeout", type=float, default=1.0, help="probe timeout, seconds")
    parser.add_argument("--delay", type=float, default=0.01, help="members answer after (s)")
    parser.add_argument("--duration", type=int, default=20, help="seconds measured per step")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before measuring")
    parser.add_argument("--profile", type=Path, help="py-spy profiles of the worker go here")
    parser.add_argument("--cpu-only", action="store_true", help="profile CPU, not wall clock")
    args = parser.parse_args()
    args.groups = [int(n) for n in args.groups.split(",")]
    if args.profile:
        args.profile = args.profile.resolve()
    return args


def main() -> int:
    return ha.main("ddns-bench-checks-", parse_args(), bench, print_report)


if __name__ == "__main__":
    sys.exit(main())
