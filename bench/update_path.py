"""Benchmark of the dyndns2 update path: real named, real gunicorn, wrk, SQLite and PostgreSQL.

    .venv/bin/python bench/update_path.py [--database sqlite|postgres|both] [--duration S]

Per database: a fresh named (zone dyn.test, TSIG), the raw DNS update ceiling (dnspython,
8 senders), a fresh database with 1,000 hosts, gunicorn, then wrk on five scenarios. It
prints the figures and PASS/FAIL for each target; docs/performance.md explains them.
Exits 0 whatever the figures are: it is a benchmark, not a test.
"""

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path, where bench/profile.py would hide
# the standard library's profile module: put the project root there instead.
sys.path[0] = str(ROOT)

from bench import profile, wrk  # noqa: E402
from devtools import named  # noqa: E402
from domains import crypto, dns  # noqa: E402

PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
ZONE = "dyn.test"
KEY_NAME = "ddns-bench-key."
HOSTS = 1000  # the changes, wrong-secret and unknown-host scenarios spread over this many
# The nochg and bare-view host is one more, so that the changes never move its address.
STEADY_LABEL = "steady"
# Processes: the bare view is fastest with 2 on this 2-core machine (median of 4 runs,
# sync workers, PostgreSQL: 2 -> 1,163 req/s, 3 -> 946, 4 -> 822, 6 -> 771, 8 -> 678;
# SQLite: 2 -> 751, 4 -> 687, 8 -> 639): it is CPU-bound, so more processes only add
# switching.
WORKERS = 2
# Threads per process (gunicorn's gthread worker): a change waits for its batch without
# holding a CPU, so the changes that arrive meanwhile can join it. Each thread keeps its
# own database connection (DATABASE_CONN_MAX_AGE). 0: sync workers, one request at a time.
THREADS = 8
DNS_SENDERS = 8
NOCHG_ADDRESS = "192.0.2.10"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# Above this share of CPU busy before a scenario, other people's work skews the figures.
BUSY_WARNING = 0.15


class Terminated(Exception):
    """SIGTERM, turned into an exception so the same cleanup runs as for Ctrl-C."""


@dataclass
class Scenario:
    name: str
    entries: list[wrk.Entry]
    status: int  # expected HTTP status
    word: str  # expected first word of the body
    results: list[wrk.WrkResult] = field(default_factory=list)  # one per round
    background: float = 0.0  # most CPU busy just before a round, while the bench was idle
    cpu_ms: list[float] = field(default_factory=list)  # workers' CPU per request, per round

    @property
    def result(self) -> wrk.WrkResult | None:
        return wrk.combine(self.results) if self.results else None

    @property
    def cpu_ms_per_request(self) -> float:
        return statistics.median(self.cpu_ms) if self.cpu_ms else 0.0

    @property
    def unexpected(self) -> int:
        result = self.result
        return result.count_unexpected(self.status, self.word) if result else 0


@dataclass(frozen=True)
class Web:
    url: str
    process: subprocess.Popen  # the gunicorn master


@dataclass(frozen=True)
class Options:
    duration: int
    workers: int
    threads: int  # per worker (gthread); 0: sync workers
    batch_window_ms: float | None  # DDNS_BATCH_WINDOW_MS; None: the service's default
    profile: Path | None  # where py-spy profiles go; None: no profiling
    profile_cpu: bool  # py-spy samples CPU only instead of wall clock
    rounds: int  # each round runs every scenario once; figures are medians over rounds


@dataclass
class DatabaseRun:
    database: str
    dns_ceiling: float = 0.0
    dns_background: float = 0.0  # CPU share busy just before the ceiling was measured
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    checks: list[tuple[str, bool, str]] = field(default_factory=list)  # (what, ok, detail)
    mean_batch: float = 0.0  # changes per group commit in the changes scenario


# --- Processes ----------------------------------------------------------------------------


def start_named(stack: contextlib.ExitStack, workdir: Path) -> dns.Server:
    """A fresh named for one database run, so earlier runs leave no records behind."""
    secret = crypto.new_tsig_secret()
    port = named.free_port()
    process = named.start(workdir / "named", port, [named.Zone(ZONE, KEY_NAME, secret)])
    stack.callback(named.stop, process)
    return dns.Server(ZONE, "127.0.0.1", port, KEY_NAME, "hmac-sha256", secret, timeout=2)


def start_gunicorn(
    stack: contextlib.ExitStack, env: dict[str, str], workdir: Path, options: Options
) -> Web:
    port = named.free_port()
    # Only what this command line says: gunicorn would otherwise read the project's own
    # gunicorn.conf.py from the working directory (its access log, its worker model).
    config = workdir / "gunicorn.conf.py"
    config.write_text("")
    command = [
        GUNICORN,
        "--config",
        str(config),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(options.workers),
        *worker_model(options.threads),
        "--error-logfile",
        str(workdir / "gunicorn.log"),
        "--log-level",
        "warning",
        "ddns.wsgi:application",
    ]
    # Own session: Ctrl-C reaches only us, and we stop gunicorn's whole group ourselves.
    with open(workdir / "gunicorn.out", "ab") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=output, start_new_session=True
        )
    stack.callback(named.stop, process)  # stops any child started in its own session
    base_url = f"http://127.0.0.1:{port}"
    wait_http(f"{base_url}/bench/bare?hostname={STEADY_LABEL}.{ZONE}", process)
    return Web(base_url, process)


def worker_model(threads: int) -> list[str]:
    if threads <= 0:
        return ["--worker-class", "sync"]
    return ["--worker-class", "gthread", "--threads", str(threads)]


def describe_workers(options: Options) -> str:
    if options.threads <= 0:
        return f"{options.workers} sync workers"
    window = "default" if options.batch_window_ms is None else f"{options.batch_window_ms:g} ms"
    return f"{options.workers} gthread workers x {options.threads} threads, batch window {window}"


def wait_http(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    """Readiness is an answered request, not a sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout:g} s")


# --- Databases ----------------------------------------------------------------------------


def sqlite_url(stack: contextlib.ExitStack, workdir: Path) -> str:
    return f"sqlite:///{workdir / 'db.sqlite3'}"  # removed with workdir


def postgres_url(stack: contextlib.ExitStack, workdir: Path) -> str:
    """A database of our own (pid in the name: another run or the test suite may be near)."""
    name = f"ddns_bench_{os.getpid()}"
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        raise RuntimeError(
            f"cannot create a PostgreSQL database at {PG_ADMIN_URL}: {exc}"
        ) from None
    stack.callback(drop_postgres_database, name)
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def drop_postgres_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


DATABASE_URLS = {"sqlite": sqlite_url, "postgres": postgres_url}


def django_env(database_url: str, workdir: Path) -> dict[str, str]:
    # Only our own settings: a DDNS_* or DJANGO_* left in the caller's shell would skew figures.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DDNS_", "DJANGO_"))}
    env.update(
        DATABASE_URL=database_url,
        DDNS_VAR_DIR=str(workdir / "var"),
        DJANGO_SECRET_KEY="bench-" + crypto.new_host_secret(),
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_DEBUG="false",
        PYTHONPATH=str(ROOT),
    )
    return env


def dataset(env: dict[str, str], command: str, config: dict, module: str = "bench.dataset") -> dict:
    """Run a dataset module (bench/dataset.py) in a child process: Django settings are
    fixed per process."""
    completed = subprocess.run(
        [PYTHON, "-m", module, command],
        input=json.dumps(config),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    if completed.returncode:
        raise RuntimeError(f"{module} {command} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout)


def prepare_database(env: dict[str, str], server: dns.Server) -> tuple[dict, list[dict]]:
    """Migrate and fill the database; returns the steady host and the HOSTS others."""
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    config = {
        "zone": ZONE,
        "named_port": server.port,
        "key_name": KEY_NAME,
        "tsig_secret": server.secret,
        "labels": [STEADY_LABEL] + [f"h{i:04d}" for i in range(HOSTS)],
    }
    hosts = dataset(env, "prepare", config)["hosts"]
    return hosts[0], hosts[1:]


# --- The raw DNS ceiling ------------------------------------------------------------------


def dns_ceiling(server: dns.Server, duration: float) -> tuple[float, int]:
    """Single-record updates/s dnspython alone gets from this named with 8 senders; failures."""
    done = [0] * DNS_SENDERS
    failed = [0] * DNS_SENDERS
    deadline = time.monotonic() + duration

    def sender(index: int) -> None:
        while time.monotonic() < deadline:
            # Alternating addresses make every update a real change, as in the changes scenario.
            sent = done[index] + failed[index]
            fqdn = f"raw{index}-{sent % 50}.{ZONE}"
            try:
                dns.replace_addresses(server, fqdn, {"A": f"10.3.{index}.{sent // 50 % 2 + 1}"}, 60)
            except dns.DnsError:
                failed[index] += 1
            else:
                done[index] += 1

    # Daemon threads: an interrupted run need not wait for the senders to reach the deadline.
    threads = [threading.Thread(target=sender, args=(i,), daemon=True) for i in range(DNS_SENDERS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - started), sum(failed)


# --- Scenarios ----------------------------------------------------------------------------


def update_path(fqdn: str, address: str) -> str:
    return f"/nic/update?hostname={fqdn}&myip={address}"


def change_address(index: int, address_set: int) -> str:
    """Host index's address in one set: unique per host, and no two sets ever meet."""
    return f"10.{address_set}.{index // 256}.{index % 256}"


def change_entries(hosts: list[dict], round_: int) -> list[wrk.Entry]:
    """Each host alternates between two address sets of its own per round.

    wrk restarts its walk at every run, so each round takes two fresh sets: the first
    request of a round then differs from whatever the previous round left.
    """
    first_set, second_set = 2 * round_ + 1, 2 * round_ + 2
    return [
        entry(
            h["fqdn"],
            h["secret"],
            update_path(h["fqdn"], change_address(i, first_set)),
            update_path(h["fqdn"], change_address(i, second_set)),
        )
        for i, h in enumerate(hosts)
    ]


def entry(username: str, password: str, *paths: str) -> wrk.Entry:
    return wrk.Entry(wrk.basic(username, password), paths)


def build_scenarios(steady: dict, hosts: list[dict]) -> list[Scenario]:
    steady_fqdn, secret = steady["fqdn"], steady["secret"]
    # Wrong secrets and unknown names are spread over as many names as there are hosts:
    # the cost of a failure must not depend on hitting one hot row.
    wrong = [
        entry(h["fqdn"], "wrong-" + h["secret"], update_path(h["fqdn"], NOCHG_ADDRESS))
        for h in hosts
    ]
    strangers = [f"nobody{i:04d}.{ZONE}" for i in range(len(hosts))]
    unknown = [entry(name, secret, update_path(name, NOCHG_ADDRESS)) for name in strangers]
    bare = entry(steady_fqdn, secret, f"/bench/bare?hostname={steady_fqdn}")
    nochg = entry(steady_fqdn, secret, update_path(steady_fqdn, NOCHG_ADDRESS))
    return [
        Scenario("bare view", [bare], 200, "ok"),
        Scenario("nochg", [nochg], 200, "nochg"),
        Scenario("changes", change_entries(hosts, 0), 200, "good"),
        Scenario("wrong secret", wrong, 401, "badauth"),
        Scenario("unknown host", unknown, 401, "badauth"),
    ]


def probe(base_url: str, request_entry: wrk.Entry) -> tuple[int, str]:
    """One request outside wrk, to check an answer before the load starts."""
    request = urllib.request.Request(  # noqa: S310 (loopback http only)
        base_url + request_entry.paths[0],
        headers={"Authorization": request_entry.authorization, "User-Agent": wrk.USER_AGENT},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def check_probe(
    run: DatabaseRun, base_url: str, scenario: Scenario, word: str = "", what: str = ""
) -> None:
    """Send the scenario's first request once and record whether the answer is the one wanted."""
    status, body = probe(base_url, scenario.entries[0])
    word = word or scenario.word
    ok = status == scenario.status and body.split()[:1] == [word]
    expected = f"{scenario.status} {word}"
    what = what or f"sample {scenario.name} request"
    run.checks.append((what, ok, f"{status} {body.strip()!r}, want {expected}"))


def background_busy(seconds: float = 1.0) -> float:
    """Share of CPU busy while the bench itself is idle: other people's load skews figures."""

    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        return sum(values) - idle, sum(values)

    busy_before, total_before = sample()
    time.sleep(seconds)
    busy_after, total_after = sample()
    return (busy_after - busy_before) / max(total_after - total_before, 1)


def run_scenario(scenario: Scenario, web: Web, workdir: Path, options: Options) -> None:
    scenario.background = max(scenario.background, background_busy())
    slug = scenario.name.replace(" ", "_")
    script = wrk.write_script(workdir / f"{slug}.lua", scenario.entries)
    workers = profile.worker_pids(web.process.pid)
    recorders = []
    if options.profile:
        output = options.profile / workdir.name / f"{slug}-{len(scenario.results) + 1}"
        recorders = profile.start(workers, options.duration, output, not options.profile_cpu)
    cpu_before = profile.cpu_seconds(workers)
    result = wrk.run(web.url + "/", script, options.duration)
    # CPU per request does not depend on other people's load the way rates do.
    cpu_ms = (profile.cpu_seconds(workers) - cpu_before) * 1000 / max(result.requests, 1)
    scenario.results.append(result)
    scenario.cpu_ms.append(cpu_ms)
    print(
        f"  {scenario.name:<13} {result.rate:8.1f} req/s  p50 {result.p50_ms:7.2f} ms"
        f"  p99 {result.p99_ms:7.2f} ms  worker CPU {cpu_ms:.2f} ms/req  non-2xx {result.non_2xx}"
        f"  unexpected {result.count_unexpected(scenario.status, scenario.word)}"
        f"  (CPU busy before: {scenario.background:.0%})",
        flush=True,
    )
    if recorders:
        summary = profile.finish(recorders, output)
        (output.parent / f"{output.name}-summary.txt").write_text(summary + "\n")
        print(summary, flush=True)


def verify_changes(run: DatabaseRun, env: dict[str, str], server: dns.Server, steady: dict) -> None:
    """Every address the database says it published is what BIND serves; history adds up."""
    time.sleep(1)  # requests wrk abandoned at its deadline finish (DNS first, then commit)
    state = dataset(env, "state", {"steady": steady["fqdn"]})
    run.mean_batch = state["changes"] / max(state["batches"], 1)
    print(
        f"  mean batch size {run.mean_batch:.1f} changes"
        f" ({state['changes']} changes in {state['batches']} commits)",
        flush=True,
    )
    published = state["ipv4"]
    wrong = [
        fqdn for fqdn, address in published.items() if dns.lookup(server, fqdn, "A") != [address]
    ]
    run.checks.append(
        (
            "changes landed in BIND",
            not wrong and len(published) > 1,
            f"{len(published) - len(wrong)}/{len(published)} hosts: BIND serves the database's A",
        )
    )
    changes = run.scenarios["changes"].result
    good = changes.words.get("good", 0) if changes else 0
    # One history row per change: wrk's "good" answers, the nochg host's first address, and
    # at most one abandoned request per connection at each round's deadline.
    extra = state["events"] - good - 1
    run.checks.append(
        (
            "one history row per change",
            0 <= extra <= wrk.CONNECTIONS * len(run.scenarios["changes"].results),
            f"{state['events']} rows for {good} good answers + 1 setup change",
        )
    )


# --- One database -------------------------------------------------------------------------


def bench_database(database: str, workdir: Path, options: Options) -> DatabaseRun:
    run = DatabaseRun(database)
    workdir.mkdir(parents=True)
    with contextlib.ExitStack() as stack:  # named, gunicorn and the database end with the run
        server = start_named(stack, workdir)
        run.dns_background = background_busy()
        run.dns_ceiling, failures = dns_ceiling(server, options.duration)
        run.checks.append(("raw DNS updates all applied", failures == 0, f"{failures} failed"))
        print(
            f"  raw DNS ceiling {run.dns_ceiling:8.1f} updates/s ({DNS_SENDERS} senders)",
            flush=True,
        )
        env = django_env(DATABASE_URLS[database](stack, workdir), workdir)
        if options.batch_window_ms is not None:
            env["DDNS_BATCH_WINDOW_MS"] = str(options.batch_window_ms)
        steady, hosts = prepare_database(env, server)
        web = start_gunicorn(stack, env, workdir, options)
        scenarios = build_scenarios(steady, hosts)
        run.scenarios = {s.name: s for s in scenarios}
        # The nochg host gets its address once, through the service, before the hammering.
        check_probe(run, web.url, run.scenarios["nochg"], "good", "first address of nochg host")
        warm_up(web.url, scenarios[:2], workdir)
        for scenario in scenarios:
            if scenario.name != "changes":  # a sample change would spoil the alternation
                check_probe(run, web.url, scenario)
        # Rounds interleave the scenarios, so a burst of other load hits them all alike.
        for round_ in range(options.rounds):
            print(f"  round {round_ + 1}/{options.rounds}", flush=True)
            run.scenarios["changes"].entries = change_entries(hosts, round_)
            for scenario in scenarios:
                run_scenario(scenario, web, workdir, options)
        verify_changes(run, env, server, steady)
        report_server_errors(run, workdir)
    return run


def warm_up(base_url: str, scenarios: list[Scenario], workdir: Path) -> None:
    """Let every worker import its modules and open its connection before any measurement."""
    for scenario in scenarios:
        script = wrk.write_script(workdir / "warm_up.lua", scenario.entries)
        wrk.run(base_url + "/", script, 2)


def report_server_errors(run: DatabaseRun, workdir: Path) -> None:
    """Surface gunicorn's log when any answer was not the expected one."""
    if not any(s.unexpected for s in run.scenarios.values()):
        return
    for name in ("gunicorn.log", "gunicorn.out"):
        path = workdir / name
        if path.exists():
            tail = path.read_text(errors="replace").splitlines()[-20:]
            print(f"  --- last lines of {name} ---", *tail, sep="\n  ")


# --- Targets and the report ---------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    measured: float
    bound: float
    at_most: bool = False  # the measured ratio must stay below the bound, not reach it

    @property
    def ok(self) -> bool:
        return self.measured < self.bound if self.at_most else self.measured >= self.bound

    @property
    def wanted(self) -> str:
        return f"< {self.bound:.2f}" if self.at_most else f">= {self.bound:.2f}"


def targets(run: DatabaseRun) -> list[Target]:
    results = {name: s.result for name, s in run.scenarios.items() if s.result}
    if len(results) < len(run.scenarios) or not results:
        return []  # the run broke off: no ratios to give
    rate = {name: result.rate for name, result in results.items()}
    bare_p99, nochg_p99 = results["bare view"].p99_ms, results["nochg"].p99_ms
    return [
        Target("nochg rate / bare-view rate", rate["nochg"] / rate["bare view"], 0.60),
        Target("nochg p99 / bare-view p99", nochg_p99 / bare_p99, 2.0, at_most=True),
        Target("changes rate / raw DNS ceiling", rate["changes"] / run.dns_ceiling, 0.50),
        Target("wrong-secret rate / nochg rate", rate["wrong secret"] / rate["nochg"], 0.80),
        Target("unknown-host rate / nochg rate", rate["unknown host"] / rate["nochg"], 0.80),
    ]


def print_report(runs: list[DatabaseRun], options: Options) -> None:
    """Markdown tables, ready for docs/performance.md."""
    load = (
        f"wrk -t{wrk.THREADS} -c{wrk.CONNECTIONS} -d{options.duration}s,"
        f" {describe_workers(options)}, median of {options.rounds} round(s)"
    )
    print(f"\n## Figures ({load})\n")
    print(
        "| database | scenario | req/s | p50 ms | p99 ms | worker CPU ms/req | requests "
        "| non-2xx | unexpected | CPU busy before |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for run in runs:
        for scenario in run.scenarios.values():
            r = scenario.result
            if r:
                print(
                    f"| {run.database} | {scenario.name} | {r.rate:.1f} | {r.p50_ms:.2f} "
                    f"| {r.p99_ms:.2f} | {scenario.cpu_ms_per_request:.2f} | {r.requests} "
                    f"| {r.non_2xx} | {scenario.unexpected} "
                    f"| {scenario.background:.0%} |"
                )
        print(
            f"| {run.database} | raw DNS ceiling (updates/s) "
            f"| {run.dns_ceiling:.1f} ||||||| {run.dns_background:.0%} |"
        )
    print("\n| database | mean batch size (changes per commit) |\n|---|---:|")
    for run in runs:
        print(f"| {run.database} | {run.mean_batch:.1f} |")
    print("\n## Targets\n")
    print("| database | target | measured | wanted | result |")
    print("|---|---|---:|---:|---|")
    for run in runs:
        for t in targets(run):
            verdict = "PASS" if t.ok else "**FAIL**"
            print(f"| {run.database} | {t.name} | {t.measured:.2f} | {t.wanted} | {verdict} |")
    print("\n## Checks\n")
    for run in runs:
        for what, ok, detail in run.checks:
            print(f"- {run.database}: {'ok' if ok else '**FAILED**'} {what} ({detail})")
    busiest = max((s.background for run in runs for s in run.scenarios.values()), default=0)
    if busiest > BUSY_WARNING:
        print(
            f"\n**Warning:** the machine was up to {busiest:.0%} busy with other work just before"
            " a scenario (column 'CPU busy before'): these figures are not reliable."
        )
    failures = sum(not t.ok for run in runs for t in targets(run))
    failures += sum(not ok for run in runs for _, ok, _ in run.checks)
    print(f"\n{failures} target(s) or check(s) failed." if failures else "\nAll targets met.")


# --- Main ---------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--workers", type=int, default=WORKERS, help="gunicorn processes")
    parser.add_argument(
        "--threads", type=int, default=THREADS, help="threads per process (0: sync workers)"
    )
    parser.add_argument(
        "--batch-window", type=float, help="DDNS_BATCH_WINDOW_MS (default: the service's)"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="run every scenario this many times; report medians"
    )
    parser.add_argument(
        "--profile", type=Path, help="record py-spy profiles of the workers into this directory"
    )
    parser.add_argument(
        "--profile-cpu", action="store_true", help="profile CPU only, not wall clock"
    )
    return parser.parse_args()


def raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()


def main() -> int:
    """Exit 0 whatever the figures; 1 only when a database run could not be done at all."""
    args = parse_args()
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    profile_dir = args.profile.resolve() if args.profile else None
    options = Options(
        args.duration,
        args.workers,
        args.threads,
        args.batch_window,
        profile_dir,
        args.profile_cpu,
        max(args.rounds, 1),
    )
    signal.signal(signal.SIGTERM, raise_terminated)
    runs, broken = [], []
    try:
        with contextlib.ExitStack() as stack:
            workdir = Path(tempfile.mkdtemp(prefix="ddns-bench-"))
            stack.callback(shutil.rmtree, workdir, ignore_errors=True)
            for database in databases:
                print(f"\n# {database}", flush=True)
                try:
                    runs.append(bench_database(database, workdir / database, options))
                except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
                    print(f"  {database}: the run broke off: {exc}")
                    broken.append(database)
    except (KeyboardInterrupt, Terminated):
        print("\ninterrupted: everything the bench started is stopped and removed")
        return 130
    print_report(runs, options)
    if broken:
        print(f"\nNo figures for: {', '.join(broken)} (see the error above).")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
