"""The service's own processes, started by a test as production runs them: gunicorn, a
Celery worker, Celery beat, `manage.py` commands; each in its own session, so stopping one
stops all its children and nothing else."""

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from devtools import named

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent


def service_env(directory: Path, **overrides: str) -> dict[str, str]:
    """The environment of the service's processes: this test run's secrets (so zone keys
    stored by the test decrypt there), no DDNS_/DJANGO_ setting of the caller's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DDNS_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="ddns.settings",
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        DDNS_ENCRYPTION_KEY=settings.DDNS_ENCRYPTION_KEY,
        DDNS_VAR_DIR=str(directory / "var"),
        DDNS_DNS_TIMEOUT="1",
        DDNS_HA_PRIVATE_TARGETS="true",
        DJANGO_DEBUG="false",
        # Tests that cause faults send far more updates per host than any client should;
        # the limits are switched off unless a test points them at its own Redis.
        DDNS_LIMITS_REDIS_URL="",
        PYTHONPATH=str(ROOT),
    )
    env.update(overrides)
    return env


def shared_database_url() -> str:
    """The URL of the database this test uses, for processes that must share it (the
    test's rows are visible to them only in a transactional test: django_db(transaction=True))."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@dataclass
class Service:
    """A started process (gunicorn master, a worker, beat) and where its output goes."""

    process: subprocess.Popen
    log: Path
    url: str = ""

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def output(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def spawn(command: list[str], env: dict[str, str], log: Path) -> Service:
    with open(log, "ab") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    return Service(process=process, log=log)


def manage(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run `manage.py ARGS` in the service's environment; its standard output."""
    completed = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if completed.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{completed.stderr[-3000:]}")
    return completed.stdout


def start_gunicorn(env: dict[str, str], directory: Path, workers: int = 2) -> Service:
    """gunicorn with threaded workers, answering on a free loopback port."""
    port = named.free_port()
    service = spawn(
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--threads", "4", "--worker-class", "gthread", "--timeout", "30",
         "--log-level", "warning", "ddns.wsgi:application"],
        env, directory / "gunicorn.log",
    )  # fmt: skip
    service.url = f"http://127.0.0.1:{port}"
    wait_http(f"{service.url}/myip", service)
    return service


def start_worker(env: dict[str, str], directory: Path, queues: str, name: str) -> Service:
    return spawn(
        [sys.executable, "-m", "celery", "-A", "ddns", "worker", "--pool", "solo",
         "--queues", queues, "--hostname", f"{name}@%h", "--loglevel", "info",
         "--without-gossip", "--without-mingle"],
        env, directory / f"{name}.log",
    )  # fmt: skip


def start_beat(env: dict[str, str], directory: Path) -> Service:
    return spawn(
        [sys.executable, "-m", "celery", "-A", "ddns", "beat", "--loglevel", "info",
         f"--schedule={directory / 'beat-schedule'}", f"--pidfile={directory / 'beat.pid'}"],
        env, directory / "beat.log",
    )  # fmt: skip


def wait_http(url: str, service: Service, timeout: float = 30.0) -> None:
    """Readiness is an answered request, not a sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited\n{service.output()}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback)
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:g} s\n{service.output()}")


def child_pids(service: Service) -> set[int]:
    """The processes of a started service's session (gunicorn's master and workers)."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) == service.process.pid:
                    pids.add(int(entry.name))
            except (ProcessLookupError, PermissionError):
                continue
    return pids


def wait_for(condition, deadline: float) -> bool:
    """Poll `condition` every 50 ms until it holds (True) or `deadline` seconds pass."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return False
