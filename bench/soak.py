"""Soak: mixed traffic at half the nochg capacity for 10 minutes, with health checks running.

    .venv/bin/python bench/soak.py [--duration 600] [--share 0.5] [--groups 4]

A fresh named, PostgreSQL database and Redis database (bench/update_path.py's and
bench/ha.py's machinery), gunicorn, a Celery worker and beat checking high-availability
groups against local probe servers (one member is stopped half-way, so a failover happens
under load). It measures the nochg capacity with wrk, then offers a fixed rate of mixed
traffic (bench/soak_load.py: nochg, changes, bad credentials, REST API and /nic JSON
reads) and checks at the end:

- zero 5xx answers (and no unexpected answer);
- zero differences between the database and DNS (`manage.py reconcile --dry-run`);
- p99 latency per minute stable: the last minute within 1.5x of the first;
- memory (RSS) of the web workers and the Celery worker flat: < 10% growth after the
  first minute.

Rate limits stay on but are set far above the soak's traffic (one host takes every nochg,
and every request comes from one address), through the environment; see LIMITS.
Prints the figures and PASS/FAIL per check; exits 0 whatever the figures.
"""

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # as bench/update_path.py: bench/profile.py must not hide profile

from bench import ha, profile, soak_load, update_path, wrk  # noqa: E402
from bench.ha_dataset import member_target  # noqa: E402
from devtools import named  # noqa: E402

PYTHON = sys.executable
HOSTS = 200
CAPACITY_SECONDS = 10
# The soak's traffic is one nochg host refreshed hundreds of times a second, bad
# credentials from one address, and one API token: the production limits would rightly
# refuse it. They stay on (each request still pays its Redis round trip), set out of reach.
LIMITS = {
    "DDNS_HOST_UPDATE_BURST": "1000000000",
    "DDNS_HOST_UPDATES_PER_MINUTE": "1000000000",
    "DDNS_NOCHG_ABUSE_COUNT": "1000000000",
    "DDNS_AUTH_FAILURES_PER_SOURCE": "1000000000",
    "DDNS_API_USER_RATE": "1000000000/minute",
    "DDNS_API_ANON_RATE": "1000000000/minute",
}
P99_DRIFT = 1.5  # the last minute's p99 at most this many times the first's
RSS_GROWTH = 0.10  # after the first minute


@dataclass
class Memory:
    """RSS samples (KiB) per process role, one per window."""

    samples: dict[str, list[int]] = field(default_factory=dict)

    def add(self, role: str, kib: int) -> None:
        self.samples.setdefault(role, []).append(kib)


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def sample_memory(
    roles: dict[str, list[int]], window: float, stop: threading.Event, memory: Memory
) -> None:
    """RSS of each role now and at the end of every window, until stopped."""
    while True:
        for role, pids in roles.items():
            memory.add(role, rss_kib(pids))
        if stop.wait(window):
            break


# --- Setting up ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Running:
    env: dict[str, str]
    web: update_path.Web
    target: soak_load.Target
    members: ha.MemberServers
    groups: list[dict]
    roles: dict[str, list[int]]  # process role -> pids whose memory is sampled


def set_up(stack: contextlib.ExitStack, workdir: Path, args: argparse.Namespace) -> Running:
    server = update_path.start_named(stack, workdir)
    env = update_path.django_env(update_path.postgres_url(stack, workdir), workdir)
    env["CELERY_BROKER_URL"] = ha.broker_url(stack)
    env.update(LIMITS)
    port = named.free_port()
    targets = [member_target(i) for i in range(args.groups * 2)]
    members = ha.MemberServers(stack, workdir, targets, port, delay=0.005)
    data = prepare(env, server, args.groups, port)
    web = update_path.start_gunicorn(stack, env, workdir, web_options(args))
    worker = ha.start_worker(stack, env, workdir)
    beat = ha.start_beat(stack, env, workdir)
    steady, hosts = data["hosts"][0], data["hosts"][1:]
    target = soak_load.Target("127.0.0.1", int(web.url.rsplit(":", 1)[1]), steady, hosts,
                              data["token"])  # fmt: skip
    roles = {"web workers": profile.worker_pids(web.process.pid), "celery worker": [worker]}
    roles["celery beat"] = [beat]
    return Running(env, web, target, members, data["groups"], roles)


def web_options(args: argparse.Namespace) -> update_path.Options:
    """The worker model update_path.py benchmarks (its other options do not apply here)."""
    return update_path.Options(
        duration=args.duration,
        workers=args.workers,
        threads=args.web_threads,
        batch_window_ms=None,
        profile=None,
        profile_cpu=False,
        rounds=1,
    )


def prepare(env: dict[str, str], server, groups: int, port: int) -> dict:
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    config = {
        "zone": update_path.ZONE,
        "named_port": server.port,
        "key_name": update_path.KEY_NAME,
        "tsig_secret": server.secret,
        "labels": [update_path.STEADY_LABEL] + [f"s{i:04d}" for i in range(HOSTS)],
        "groups": groups,
        "members": 2,
        "check": {"check_kind": "http", "check_port": port, "interval": 2, "timeout": 1.0,
                  "down_threshold": 2, "up_threshold": 1},
    }  # fmt: skip
    return update_path.dataset(env, "prepare", config, module="bench.soak_dataset")


def nochg_capacity(running: Running, workdir: Path) -> float:
    """Requests/s of nochg with wrk's 16 connections, after its first address is set."""
    steady = running.target.steady
    path = soak_load.update_path(steady["fqdn"], soak_load.NOCHG_ADDRESS)
    entry = wrk.Entry(wrk.basic(steady["fqdn"], steady["secret"]), (path,))
    status, body = update_path.probe(running.web.url, entry)
    if status != 200 or body.split()[0] not in ("good", "nochg"):
        raise RuntimeError(f"the nochg host's first update failed: {status} {body!r}")
    script = wrk.write_script(workdir / "nochg.lua", [entry])
    wrk.run(running.web.url + "/", script, 2)  # warm-up
    return wrk.run(running.web.url + "/", script, CAPACITY_SECONDS).rate


def fail_a_member_later(running: Running, after: float, stop: threading.Event) -> None:
    """Stop the first group's primary half-way: a failover under load."""
    if not stop.wait(after):
        running.members.command(f"refuse {member_target(0)}")


def reconcile_differences(env: dict[str, str]) -> tuple[int, str]:
    completed = subprocess.run(
        [PYTHON, "manage.py", "reconcile", "--dry-run", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    if completed.returncode:
        return -1, completed.stderr[-2000:]
    report = json.loads(completed.stdout)
    return int(report["differences"]), completed.stdout[-2000:]


def failover_events(env: dict[str, str]) -> int:
    with ha.connect(env["DATABASE_URL"]) as connection:
        row = connection.execute("SELECT count(*) FROM failover_event WHERE kind = 'failover'")
        return int(ha.one_value(row.fetchone()))


# --- The run ------------------------------------------------------------------------------


@dataclass
class Report:
    capacity: float = 0.0
    offered: float = 0.0
    achieved: float = 0.0
    samples: list[soak_load.Sample] = field(default_factory=list)
    memory: Memory = field(default_factory=Memory)
    differences: int = -1
    reconcile_output: str = ""
    failovers: int = 0
    window: float = 60.0


def soak(args: argparse.Namespace, workdir: Path) -> Report:
    report = Report(window=args.window)
    with contextlib.ExitStack() as stack:
        running = set_up(stack, workdir, args)
        report.capacity = nochg_capacity(running, workdir)
        report.offered = report.capacity * args.share
        print(f"nochg capacity {report.capacity:.0f} req/s; offering {report.offered:.0f} req/s"
              f" for {args.duration} s", flush=True)  # fmt: skip
        stop = threading.Event()
        sampler = threading.Thread(
            target=sample_memory, args=(running.roles, args.window, stop, report.memory)
        )
        failer = threading.Thread(
            target=fail_a_member_later, args=(running, args.duration / 2, stop)
        )
        sampler.start()
        failer.start()
        try:
            results, took = soak_load.run(
                running.target, report.offered, args.duration, args.threads
            )
        finally:
            stop.set()
            sampler.join()
            failer.join()
        report.samples = results.samples
        report.achieved = len(results.samples) / took
        time.sleep(1)  # let the last check round publish before comparing
        report.differences, report.reconcile_output = reconcile_differences(running.env)
        report.failovers = failover_events(running.env)
    return report


# --- The report ---------------------------------------------------------------------------


def per_window(report: Report) -> list[list[soak_load.Sample]]:
    windows: list[list[soak_load.Sample]] = []
    for sample in report.samples:
        index = int(sample.due // report.window)
        while len(windows) <= index:
            windows.append([])
        windows[index].append(sample)
    return windows


def print_report(report: Report) -> int:
    samples = report.samples
    statuses = soak_load.Results(samples=samples).statuses()
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    unexpected = sum(not s.expected for s in samples)
    print(f"\noffered {report.offered:.1f} req/s, achieved {report.achieved:.1f} req/s,"
          f" {len(samples)} requests; statuses {dict(sorted(statuses.items()))}")  # fmt: skip
    kinds = {kind: sum(s.kind == kind for s in samples) for kind in soak_load.MIX}
    print(f"mix: {kinds}; failover events: {report.failovers}")
    p99s = []
    print("\n| minute | requests | p50 ms | p99 ms | max ms |" + "".join(
        f" RSS {role} MiB |" for role in report.memory.samples))  # fmt: skip
    for i, window in enumerate(per_window(report)):
        latencies = [s.latency_ms for s in window]
        p99s.append(ha.percentile(latencies, 0.99))
        rss = "".join(
            f" {values[min(i + 1, len(values) - 1)] / 1024:.1f} |"
            for values in report.memory.samples.values()
        )
        print(f"| {i + 1} | {len(window)} | {ha.percentile(latencies, 0.5):.1f} "
              f"| {p99s[-1]:.1f} | {max(latencies):.1f} |{rss}")  # fmt: skip
    checks = [
        ("zero 5xx", server_errors == 0, f"{server_errors} answers >= 500"),
        ("every answer as expected", unexpected == 0, f"{unexpected} unexpected"),
        ("database and DNS agree", report.differences == 0,
         f"reconcile --dry-run: {report.differences} differences"),
        ("a failover happened under load", report.failovers > 0, f"{report.failovers} events"),
    ]  # fmt: skip
    if len(p99s) >= 2:
        drift = p99s[-1] / max(p99s[0], 0.001)
        checks.append(("p99 stable", drift <= P99_DRIFT, f"last/first minute {drift:.2f}"))
    for role, values in report.memory.samples.items():
        if len(values) >= 3:
            growth = values[-1] / values[1] - 1
            checks.append((f"{role} memory flat", growth < RSS_GROWTH,
                           f"{growth:+.1%} after the first minute"))  # fmt: skip
    print()
    for what, ok, detail in checks:
        print(f"- {'PASS' if ok else '**FAIL**'} {what} ({detail})")
    if report.differences:
        print(report.reconcile_output)
    return sum(not ok for _, ok, _ in checks)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=600, help="seconds of traffic")
    parser.add_argument("--share", type=float, default=0.5, help="of the nochg capacity")
    parser.add_argument("--groups", type=int, default=4, help="HA groups checked meanwhile")
    parser.add_argument("--workers", type=int, default=update_path.WORKERS, help="gunicorn")
    parser.add_argument(
        "--web-threads", type=int, default=update_path.THREADS, help="per worker; 0: sync"
    )
    parser.add_argument("--threads", type=int, default=16, help="load generator threads")
    parser.add_argument("--window", type=float, default=60.0, help="seconds per figure row")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    ha.install_sigterm()
    workdir = Path(tempfile.mkdtemp(prefix="ddns-soak-"))
    try:
        report = soak(args, workdir)
    except (KeyboardInterrupt, ha.Terminated):
        print("\ninterrupted: everything the soak started is stopped and removed")
        return 130
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        print(f"the soak broke off: {exc} (logs in {workdir})")
        return 1
    failures = print_report(report)
    print(f"\n{failures} check(s) failed." if failures else "\nAll checks passed.")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
