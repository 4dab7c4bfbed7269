"""The soak's load generator: a fixed request rate of mixed traffic, from Python threads.

wrk keeps a fixed number of connections busy, so its rate follows the server's speed; a
soak must offer the same rate whatever happens. Each thread owns a fixed schedule (request
n of thread k is due at start + (n * threads + k) / rate) and its own share of the hosts,
so no two requests ever change one host at once. Latency is measured from when a request
was due, not from when it was sent: a stall shows in the figures instead of lowering the
rate (the correction wrk2 makes).
"""

import base64
import http.client
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

USER_AGENT = "ddns-soak/1.0"
NOCHG_ADDRESS = "192.0.2.10"
# Shares of the traffic, in percent. Most requests of a real service are clients
# refreshing an unchanged address every few minutes; a change costs several nochg (a DNS
# message and a commit), an API read a few: this mix at half the nochg capacity keeps the
# server at about three quarters of its CPU, busy but not overloaded.
MIX = {"nochg": 85, "change": 5, "bad credentials": 4, "api read": 4, "nic read": 2}
EXPECTED = {  # status and first word of the body
    "nochg": (200, "nochg"),
    "change": (200, "good"),
    "bad credentials": (401, "badauth"),
    "api read": (200, "{"),
    "nic read": (200, "{"),
}


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    steady: dict  # {"fqdn", "secret"}: the nochg host
    hosts: list[dict]  # the hosts whose address changes
    token: str  # read-only API token


@dataclass
class Sample:
    due: float  # seconds since the start, when the request was due
    kind: str
    status: int
    latency_ms: float
    expected: bool


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, batch: list[Sample]) -> None:
        with self.lock:
            self.samples.extend(batch)

    def statuses(self) -> Counter:
        return Counter(sample.status for sample in self.samples)


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


class Client:
    """One thread's requests: its hosts, each alternating between two addresses."""

    def __init__(self, target: Target, hosts: list[dict], seed: int) -> None:
        self.target = target
        self.hosts = hosts
        self.turns: Counter[int] = Counter()  # host index -> changes sent
        self.random = random.Random(seed)
        self.kinds = list(MIX)
        self.weights = list(MIX.values())

    def request(self) -> tuple[str, str, dict[str, str]]:
        """(kind, path, headers) of the next request."""
        kind = self.random.choices(self.kinds, self.weights)[0]
        if kind == "change" and not self.hosts:
            kind = "nochg"
        steady = self.target.steady
        if kind == "nochg":
            return kind, update_path(steady["fqdn"], NOCHG_ADDRESS), self._basic(steady)
        if kind == "bad credentials":
            wrong = {"fqdn": steady["fqdn"], "secret": "wrong-" + steady["secret"]}
            return kind, update_path(steady["fqdn"], NOCHG_ADDRESS), self._basic(wrong)
        if kind == "api read":
            return kind, "/api/v1/hosts/?limit=20", self._bearer()
        if kind == "nic read":
            return kind, "/nic/domains", self._bearer()
        return kind, *self._change()

    def _change(self) -> tuple[str, dict[str, str]]:
        index = self.random.randrange(len(self.hosts))
        host = self.hosts[index]
        self.turns[index] += 1
        # Two addresses per host, taken in turn: every change is a real one.
        address = f"10.{1 + self.turns[index] % 2}.{host['index'] // 256}.{host['index'] % 256}"
        return update_path(host["fqdn"], address), self._basic(host)

    def _basic(self, host: dict) -> dict[str, str]:
        return {"Authorization": basic(host["fqdn"], host["secret"]), "User-Agent": USER_AGENT}

    def _bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.target.token}", "User-Agent": USER_AGENT}

    def send(self, kind: str, path: str, headers: dict[str, str]) -> tuple[int, bool]:
        """(status, whether the answer is the one expected); status 0 for no answer."""
        connection = http.client.HTTPConnection(self.target.host, self.target.port, timeout=30)
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            return 0, False
        finally:
            connection.close()
        status, word = EXPECTED[kind]
        return response.status, response.status == status and body.decode().startswith(word)


def update_path(fqdn: str, address: str) -> str:
    return f"/nic/update?hostname={fqdn}&myip={address}"


def run(target: Target, rate: float, duration: float, threads: int) -> tuple[Results, float]:
    """Offer `rate` requests/s for `duration` seconds; returns the samples and the time
    the run really took (the last requests may finish after the deadline)."""
    results = Results()
    start = time.monotonic() + 0.5  # every thread starts on the same schedule
    shares = [
        [dict(h, index=i) for i, h in enumerate(target.hosts) if i % threads == k]
        for k in range(threads)
    ]
    workers = [
        threading.Thread(
            target=_pace,
            args=(Client(target, shares[k], seed=k), k, threads, rate, start, duration, results),
            daemon=True,
        )
        for k in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results, time.monotonic() - start


def _pace(
    client: Client,
    k: int,
    threads: int,
    rate: float,
    start: float,
    duration: float,
    results: Results,
) -> None:
    batch: list[Sample] = []
    n = 0
    while True:
        due = (n * threads + k) / rate
        if due >= duration:
            break
        n += 1
        wait = start + due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        kind, path, headers = client.request()
        status, expected = client.send(kind, path, headers)
        latency = (time.monotonic() - start - due) * 1000
        batch.append(Sample(due, kind, status, latency, expected))
        if len(batch) >= 200:
            results.add(batch)
            batch = []
    results.add(batch)
