"""`make run`: the whole service on this machine with demo data; Ctrl-C stops it all.

State lives in var/ (SQLite database, BIND configuration, zone journal, TSIG key), so a
second run picks up where the first stopped.
"""

import os
import signal
import socket
import subprocess
import sys
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

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ddns.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")


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
    dns_process = named.start(BIND_DIR, DNS_PORT, [zone])
    children: list[subprocess.Popen] = []
    try:
        secret = prepare_database(tsig_secret)
        children.append(start_web())
        worker = start_worker()
        if worker:
            children.append(worker)
        wait_for_port(WEB)
        print_welcome(secret)
        wait(children)
    except KeyboardInterrupt:
        pass
    finally:
        print("\nStopping ...")
        # Each child leads its own process group (runserver's reloader has a child too);
        # named.stop ends the whole group.
        for child in [*children, dns_process]:
            named.stop(child)
    return 0


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


def start_web() -> subprocess.Popen:
    command = [sys.executable, "manage.py", "runserver", WEB]
    return subprocess.Popen(command, cwd=BASE_DIR, start_new_session=True)


def start_worker() -> subprocess.Popen | None:
    """Celery worker with beat (periodic jobs), when Redis answers."""
    from django.conf import settings

    if not redis_reachable(settings.CELERY_BROKER_URL):
        print(f"Redis at {settings.CELERY_BROKER_URL} is not reachable: periodic jobs are off.")
        return None
    schedule = VAR_DIR / "celerybeat-schedule"
    return subprocess.Popen(
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
        ],
        cwd=BASE_DIR,
        start_new_session=True,
    )


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def wait_for_port(address: str, timeout: float = 30) -> None:
    host, port = address.rsplit(":", 1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, int(port)), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)


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


def wait(children: list[subprocess.Popen]) -> None:
    while all(child.poll() is None for child in children):
        time.sleep(0.5)
    failed = [child.args for child in children if child.poll() is not None]
    print(f"A process stopped unexpectedly: {failed}")


if __name__ == "__main__":
    sys.exit(main())
