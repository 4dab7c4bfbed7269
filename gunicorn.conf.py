"""gunicorn's configuration for the web service: `gunicorn -c gunicorn.conf.py`.

Everything comes from the environment (docs/observability.md, docs/operations.md):

    DDNS_WEB_BIND           addresses to listen on, comma-separated (127.0.0.1:8000)
    DDNS_WEB_WORKERS        processes (2)
    DDNS_WEB_WORKER_CLASS   gthread: a request waiting on the database or the name
                            server holds a thread, not a whole process
    DDNS_WEB_THREADS        threads per process (8)
    DDNS_WEB_ACCESS_LOG     file, "-" for standard output (default), "" for none
    PROMETHEUS_MULTIPROC_DIR  where the processes keep their metrics for /metrics to sum;
                            a fresh temporary directory when unset

The access log never holds a secret: passwords, tokens and keys in the query string or
the referrer are replaced by [redacted], and no Authorization or Cookie header is logged.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

from gunicorn.glogging import Logger

# The project's own modules, before the application is loaded.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ddns.env import env_int, env_list, env_str
from ddns.logs import REDACTED, redact

wsgi_app = "ddns.wsgi:application"
bind = env_list("DDNS_WEB_BIND", ["127.0.0.1:8000"])
workers = env_int("DDNS_WEB_WORKERS", 2)
worker_class = env_str("DDNS_WEB_WORKER_CLASS", "gthread")
# 8 threads: changes waiting for their group commit share batches (3.7 changes per batch
# and twice the changes per second of sync workers in bench/update_path.py), at some CPU
# cost to nochg; docs/performance.md has the figures for 2, 4 and 8.
threads = env_int("DDNS_WEB_THREADS", 8)
accesslog = env_str("DDNS_WEB_ACCESS_LOG", "-") or None
errorlog = "-"
# Apache's combined format and the time taken in milliseconds.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

# Set before any worker imports prometheus_client, which reads it once at import.
OWN_METRICS_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="ddns-metrics-")

SECRET_HEADERS = ("authorization", "cookie", "proxy-authorization")


class RedactingLogger(Logger):
    """gunicorn's logger, with secrets removed from every access-log field."""

    def atoms(self, resp, req, environ, request_time) -> dict:  # type: ignore[no-untyped-def]
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if any(header in key for header in SECRET_HEADERS):
                atoms[key] = REDACTED
            elif isinstance(value, str):
                atoms[key] = redact(value)
        return atoms


logger_class = RedactingLogger


def on_starting(server) -> None:  # type: ignore[no-untyped-def]
    """Values left by an earlier run would be summed into this one's: start empty."""
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def child_exit(server, worker) -> None:  # type: ignore[no-untyped-def]
    """A worker's gauges stop counting once it is gone (its counters stay in the sum)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:  # type: ignore[no-untyped-def]
    if OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
