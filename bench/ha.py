"""What both HA benchmarks start and read; not run by itself:

    with contextlib.ExitStack() as stack:
        running = ha.set_up(stack, workdir, groups=500, members=3, check={...})
        ha.start_worker(stack, running.env, workdir)

A fresh named and PostgreSQL database (as bench/update_path.py makes them), the groups
(bench/ha_dataset.py in a child process), the member servers (bench/members.py), a real
Celery worker and beat on a Redis database of their own, and direct SQL reads of the
check state. Everything started here is registered on the caller's ExitStack, so Ctrl-C,
SIGTERM or an error stops it all.
"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import redis

from bench.update_path import (
    KEY_NAME,
    ROOT,
    ZONE,
    dataset,
    django_env,
    postgres_url,
    start_named,
)
from devtools import named
from domains import dns

PYTHON = sys.executable
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
LOCATION = "default"
QUEUE = f"checks.{LOCATION}"


class Terminated(Exception):
    """SIGTERM, turned into an exception so the same cleanup runs as for Ctrl-C."""


def raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()


def install_sigterm() -> None:
    signal.signal(signal.SIGTERM, raise_terminated)


@dataclass
class Stack:
    """The running set-up: named, the database and the environment Django runs with."""

    server: dns.Server
    env: dict[str, str]
    database_url: str
    workdir: Path
    groups: list[dict]


def set_up(
    stack: contextlib.ExitStack, workdir: Path, groups: int, members: int, check: dict
) -> Stack:
    """named, a fresh database with `groups` groups of `members` members, a broker db."""
    server = start_named(stack, workdir)
    database_url = postgres_url(stack, workdir)
    env = django_env(database_url, workdir)
    env["CELERY_BROKER_URL"] = broker_url(stack)
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    config = {
        "zone": ZONE,
        "named_port": server.port,
        "key_name": KEY_NAME,
        "tsig_secret": server.secret,
        "groups": groups,
        "members": members,
        "check": check,
    }
    created = dataset(env, "prepare", config, module="bench.ha_dataset")["groups"]
    return Stack(server, env, database_url, workdir, created)


# --- Redis --------------------------------------------------------------------------------


def broker_url(stack: contextlib.ExitStack) -> str:
    """An empty Redis database of our own: a test suite's worker on database 0 must not
    take our ticks, nor ours its."""
    for number in range(15, 0, -1):
        client = redis.Redis(REDIS_HOST, REDIS_PORT, db=number)
        if client.dbsize() == 0:
            # Mark it taken at once, so a second bench started meanwhile picks another.
            client.set("ddns-bench-owner", os.getpid())
            stack.callback(client.flushdb)
            return f"redis://{REDIS_HOST}:{REDIS_PORT}/{number}"
    raise RuntimeError("no empty Redis database (1-15) for the bench's broker")


# --- Processes ----------------------------------------------------------------------------


def start_process(
    stack: contextlib.ExitStack, command: list[str], env: dict[str, str], log: Path, **kwargs
) -> subprocess.Popen:
    """A child in its own session (Ctrl-C reaches only us), stopped with the stack."""
    with open(log, "ab") as output:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=kwargs.pop("stdout", output),
            stderr=output,
            start_new_session=True,
            **kwargs,
        )
    stack.callback(named.stop, process)  # SIGTERM to its whole group, then SIGKILL
    return process


class MemberServers:
    """bench/members.py in a child process, driven through its stdin."""

    def __init__(
        self,
        stack: contextlib.ExitStack,
        workdir: Path,
        targets: list[str],
        port: int,
        delay: float,
    ) -> None:
        self.port = port
        command = [PYTHON, "-m", "bench.members", "--port", str(port), "--delay", str(delay)]
        command += targets
        self.process = start_process(
            stack,
            command,
            dict(os.environ, PYTHONPATH=str(ROOT)),
            workdir / "members.log",
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self._reply() != "ready":
            raise RuntimeError(f"the member servers did not start (see {workdir}/members.log)")

    def command(self, line: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self._reply()

    def _reply(self) -> str:
        assert self.process.stdout is not None
        reply = self.process.stdout.readline().strip()
        if not reply:
            raise RuntimeError("the member servers exited")
        return reply

    def requests(self) -> int:
        return int(json.loads(self.command("stats"))["requests"])


def start_worker(stack: contextlib.ExitStack, env: dict[str, str], workdir: Path) -> int:
    """One `celery worker` process (solo pool) on the checks queue; returns its pid."""
    command = [
        PYTHON, "-m", "celery", "-A", "ddns", "worker", "-Q", QUEUE, "--pool", "solo",
        "--concurrency", "1", "--without-heartbeat", "--without-gossip", "--without-mingle",
        "--loglevel", "warning", "--hostname", f"bench-checks-{os.getpid()}@%h",
    ]  # fmt: skip
    return start_process(stack, command, env, workdir / "worker.log").pid


def start_beat(stack: contextlib.ExitStack, env: dict[str, str], workdir: Path) -> int:
    command = [
        PYTHON, "-m", "celery", "-A", "ddns", "beat", "--loglevel", "warning",
        f"--schedule={workdir / 'beat-schedule'}", f"--pidfile={workdir / 'beat.pid'}",
    ]  # fmt: skip
    return start_process(stack, command, env, workdir / "beat.log").pid


# --- Reading the check state --------------------------------------------------------------


def connect(database_url: str) -> psycopg.Connection:
    return psycopg.connect(database_url.replace("postgres://", "postgresql://"), autocommit=True)


def schedule_spread(
    connection: psycopg.Connection, group_ids: list[int], interval: float, start: datetime
) -> None:
    """Make the groups due from `start` on, spread evenly over one interval: groups
    created over time have random phases, not one shared second."""
    step = interval / max(len(group_ids), 1)
    rows = [(start + timedelta(seconds=i * step), pk) for i, pk in enumerate(group_ids)]
    with connection.transaction(), connection.cursor() as cursor:  # one commit, not one per row
        cursor.executemany(
            "UPDATE failover_schedule SET next_due_at = %s WHERE group_id = %s", rows
        )


def schedule_park(connection: psycopg.Connection, group_ids: list[int]) -> None:
    connection.execute(
        "UPDATE failover_schedule SET next_due_at = now() + interval '10 years' "
        "WHERE group_id = ANY(%s)",
        [group_ids],
    )


def checked_at(connection: psycopg.Connection) -> dict[int, datetime | None]:
    rows = connection.execute(
        "SELECT member_id, checked_at FROM failover_probe WHERE location = %s", [LOCATION]
    )
    return dict(rows.fetchall())


def due_at(connection: psycopg.Connection) -> dict[int, datetime]:
    rows = connection.execute(
        "SELECT group_id, next_due_at FROM failover_schedule WHERE location = %s", [LOCATION]
    )
    return dict(rows.fetchall())


def unknown_members(connection: psycopg.Connection) -> int:
    """Members no decision has given a health yet."""
    row = connection.execute("SELECT count(*) FROM failover_member WHERE health = 'unknown'")
    return int(one_value(row.fetchone()))


def one_value(row: tuple | None) -> Any:
    """The single value of a one-row aggregate query."""
    assert row is not None  # count(*) always answers one row
    return row[0]


def wait_for(what: str, condition, timeout: float, pause: float = 0.05) -> float:
    """Poll until condition() is true; returns the seconds it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"{what}: not within {timeout:g} s")
        time.sleep(pause)
    return time.monotonic() - started


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (p95 of 20 values is the 19th smallest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


def main(prefix: str, args, bench, report) -> int:
    """Run `bench(args, workdir)` and print `report(result, args)`; the exit codes and
    clean-up both HA benchmarks share (1: the set-up broke, 130: interrupted)."""
    install_sigterm()
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        result = bench(args, workdir)
    except (KeyboardInterrupt, Terminated):
        print("\ninterrupted: everything the bench started is stopped and removed")
        return 130
    except (OSError, RuntimeError) as exc:
        print(f"the run broke off: {exc}")
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report(result, args)
    return 0
