"""The production shape: gunicorn with gunicorn.conf.py, two workers, real updates to a
real named; /metrics sums both processes, the access log holds no secret, and /healthz
answers 503 when the database is gone."""

import concurrent.futures
import re
from pathlib import Path

import pytest
import requests
from prometheus_client.multiprocess import MultiProcessCollector

from devtools import named
from tests.ops.conftest import BROKER_URL
from tests.support.processes import (
    BIN,
    ROOT,
    Service,
    service_env,
    shared_database_url,
    spawn,
    wait_http,
)

UPDATES = 40


def start(tmp_path: Path, **env: str) -> Service:
    port = named.free_port()
    (tmp_path / "var").mkdir(exist_ok=True)
    environment = service_env(
        tmp_path,
        CELERY_BROKER_URL=BROKER_URL,
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        DDNS_WEB_BIND=f"127.0.0.1:{port}",
        **env,
    )
    service = spawn(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")],
        environment,
        tmp_path / "gunicorn.log",
    )
    service.url = f"http://127.0.0.1:{port}"
    wait_http(f"{service.url}/healthz", service)
    return service


def good_updates_by_process(directory: Path) -> dict[str, float]:
    """ddns_updates_total{result="good"} as each worker process wrote it."""
    counts = {}
    for path in directory.glob("counter_*.db"):
        for metric in MultiProcessCollector.merge([str(path)], accumulate=True):
            for s in metric.samples:
                if s.name == "ddns_updates_total" and s.labels == {"result": "good"}:
                    counts[path.stem] = s.value
    return counts


def scraped(text: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert found, f"{name} not in /metrics"
    return float(found.group(1))


@pytest.mark.django_db(transaction=True)
def test_two_workers_are_summed_and_nothing_secret_is_logged(tmp_path, make_host):
    hosts = [make_host() for _ in range(8)]
    service = start(
        tmp_path,
        DATABASE_URL=shared_database_url(),
        DDNS_WEB_WORKERS="2",
        DDNS_WEB_WORKER_CLASS="sync",  # one request per process: both must take a share
    )
    try:

        def update(i: int) -> str:
            host, secret = hosts[i % len(hosts)]
            params = {"hostname": host.fqdn, "myip": f"192.0.2.{i + 1}"}
            params |= {"username": host.fqdn, "password": secret}
            return requests.get(f"{service.url}/nic/update", params=params, timeout=10).text

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(update, range(UPDATES)))
        assert all(answer.startswith("good") for answer in answers), answers
        metrics = requests.get(f"{service.url}/metrics", timeout=10)
        health = requests.get(f"{service.url}/healthz", timeout=10)
    finally:
        service.stop()
    assert metrics.status_code == 200
    assert scraped(metrics.text, 'ddns_updates_total{result="good"}') == UPDATES
    # One sample per RFC 2136 message; a message may carry several changes (group commit).
    assert 0 < scraped(metrics.text, 'ddns_dns_update_seconds_count{zone="dyn.test"}') <= UPDATES
    shares = good_updates_by_process(tmp_path / "metrics")
    assert len(shares) == 2 and all(shares.values()), shares  # both workers counted some
    assert health.status_code == 200
    assert health.json()["parts"]["database"]["status"] == "ok"
    log = service.log.read_text()
    assert all(secret not in log for _host, secret in hosts)
    assert log.count("password=[redacted]") >= UPDATES  # the access log's request lines
    assert log.count("dyndns2.updates /nic/update host=") == UPDATES


def test_a_database_that_is_gone_answers_503_quickly(tmp_path):
    nothing_listens = named.free_port()
    database_url = f"postgres://postgres@127.0.0.1:{nothing_listens}/ddns"
    service = start(tmp_path, DATABASE_URL=database_url, DDNS_WEB_WORKERS="1")
    try:
        response = requests.get(f"{service.url}/healthz", timeout=10)
    finally:
        service.stop()
    assert response.status_code == 503
    answer = response.json()
    assert answer["status"] == "down"
    assert answer["parts"]["database"] == {
        "status": "down",
        "detail": "not answering (OperationalError)",
    }
    assert response.elapsed.total_seconds() < 2
