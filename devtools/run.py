"""`make run`: the whole service on this machine with demo data; Ctrl-C stops it all.

State lives in var/ (SQLite database, BIND configuration, zone journal, TSIG key), so a
second run picks up where the first stopped. Each part must answer within its deadline;
if one does not, its last output is printed, everything is stopped and the exit status
is 1, so a broken set-up never claims "The service is up".
"""

import collections
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
BIND_DIR = VAR_DIR / "bind"
ZONE = "dyn.test"
KEY_NAME = "ddns-key."
DNS_PORT = 5353
WEB = "127.0.0.1:8000"
DEMO_HOST = f"demo.{ZONE}"
START_TIMEOUT = 30.0
TAIL_LINES = 40

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ddns.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")


class PartDidNotStart(RuntimeError):
    """A part of the service did not come up; the message carries its last output."""


class Part:
    """A child process whose output goes to this terminal, prefixed with its name, and
    whose last lines are kept to explain a failure."""

    def __init__(self, name: str, command: list[str]) -> None:
        self.name = name
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self.process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,  # its own process group, stopped as a whole
            env={**os.environ, "PYTHONUNBUFFERED": "1"},  # lines as they happen
        )
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.tail.append(line.rstrip("\n"))
            print(f"[{self.name}] {line}", end="", flush=True)

    def running(self) -> bool:
        return self.process.poll() is None

    def failure(self, what: str) -> PartDidNotStart:
        time.sleep(0.3)  # let the last lines arrive
        output = "\n".join(f"    {line}" for line in self.tail) or "    (no output)"
        return PartDidNotStart(f"{what}. Last output of the {self.name}:\n{output}")


def main() -> int:
    # Ctrl-C, or a SIGTERM from a supervisor, stops everything this started. Set the
    # handlers explicitly: a shell's background job starts with SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    import django

    django.setup()
    from ddns.env import persistent_secret
    from devtools import named
    from domains import crypto

    # A TSIG secret must be base64: derive one from the persistent random token.
    tsig_secret = crypto.tsig_secret_from(persistent_secret(BIND_DIR / "tsig.token"))
    zone = named.Zone(ZONE, KEY_NAME, tsig_secret)
    named.stop_stale(BIND_DIR)
    print(f"Starting BIND on 127.0.0.1:{DNS_PORT} for zone {ZONE} ...")
    try:
        dns_process = named.start(BIND_DIR, DNS_PORT, [zone])
    except RuntimeError as exc:
        print(f"BIND did not start: {exc}\nIts log: {BIND_DIR / 'named.log'}", file=sys.stderr)
        return 1
    parts: list[Part] = []
    status = 0
    try:
        secret = prepare_database(tsig_secret)
        parts.append(start_web())
        wait_for_web(parts[-1])
        worker = start_worker()
        if worker:
            parts.append(worker)
            wait_for_worker(worker)
        print_welcome(secret)
        wait(parts)
        status = 1
    except PartDidNotStart as exc:
        print(f"\n{exc}\n", file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        pass
    finally:
        print("\nStopping ...")
        for part in parts:
            named.stop(part.process)
        named.stop(dns_process)
    return status


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def prepare_database(tsig_secret: str) -> str:
    """Migrate, then make sure the demo user, zone and host exist; return the demo secret."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from devtools import demo

    return demo.ensure_demo_data(
        zone=ZONE,
        nameserver=("127.0.0.1", DNS_PORT),
        key_name=KEY_NAME,
        tsig_secret=tsig_secret,
        host_label="demo",
        secret_file=VAR_DIR / "demo.secret",
    )


def start_web() -> Part:
    # Another program on the port would answer for us and hide that ours never started.
    if _listening(WEB):
        raise PartDidNotStart(f"Something else already listens on {WEB}; stop it first")
    return Part("web server", [sys.executable, "manage.py", "runserver", WEB])


def _listening(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=0.5).close()
    except OSError:
        return False
    return True


def wait_for_web(part: Part) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if not part.running():
            raise part.failure(f"The web server exited with status {part.process.returncode}")
        if _listening(WEB):
            return
        time.sleep(0.2)
    raise part.failure(f"The web server did not answer on {WEB} within {START_TIMEOUT:g} s")


def start_worker() -> Part | None:
    """Celery worker with beat (periodic jobs), when Redis answers."""
    from django.conf import settings

    if not redis_reachable(settings.CELERY_BROKER_URL):
        print(f"Redis at {settings.CELERY_BROKER_URL} is not reachable: periodic jobs are off.")
        return None
    schedule = VAR_DIR / "celerybeat-schedule"
    return Part(
        "worker",
        [
            sys.executable,
            "-m",
            "celery",
            "--quiet",
            "-A",
            "ddns",
            "worker",
            "--beat",
            "--loglevel=warning",
            "--concurrency=1",
            f"--schedule={schedule}",
            # The default queue, and the health checks of every configured location.
            "--queues="
            + ",".join(["celery", *(f"checks.{name}" for name in settings.DDNS_CHECK_LOCATIONS)]),
        ],
    )


def wait_for_worker(part: Part) -> None:
    """Ready is a worker answering a ping through the broker."""
    from ddns.celery import app

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if not part.running():
            raise part.failure(f"The worker exited with status {part.process.returncode}")
        if app.control.ping(timeout=1.0):
            return
    raise part.failure(f"The worker did not answer a ping within {START_TIMEOUT:g} s")


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def print_welcome(secret: str) -> None:
    print(
        f"""
The service is up.
  Site:        http://{WEB}/   (log in as demo / demo; it is also an admin)
               sign-up e-mails are printed here, in this terminal
  DNS:         127.0.0.1 port {DNS_PORT}, zone {ZONE}
  Demo host:   {DEMO_HOST}
  Its secret:  {secret}

Update it:
  curl -u {DEMO_HOST}:{secret} "http://{WEB}/nic/update?myip=192.0.2.10"
Check DNS:
  dig @127.0.0.1 -p {DNS_PORT} {DEMO_HOST} A +short

Press Ctrl-C to stop everything.
""",
        flush=True,
    )


def wait(parts: list[Part]) -> None:
    while all(part.running() for part in parts):
        time.sleep(0.5)
    for part in parts:
        if not part.running():
            print(f"\n{part.failure(f'The {part.name} stopped unexpectedly')}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
