"""dyndns2 clients under load: one thread per host, each behaving as ddclient does."""

import threading
import time
from dataclasses import dataclass, field

import httpx

from tests.support.web import basic

CONFIRMED = ("good", "nochg")


@dataclass(frozen=True)
class Answer:
    address: str
    sent: float  # time.monotonic()
    done: float
    status: int
    word: str  # the first word of the body ("good", "911", ...), or the failure
    retry_after: str | None


@dataclass
class UpdateClient:
    """Sends its host's addresses in turn, moving on only after good/nochg and retrying
    the same address after anything else, until `stop` or the last of `addresses`."""

    base_url: str
    fqdn: str
    secret: str
    addresses: list[str]
    cycle: bool = False  # start again from the first address instead of finishing
    pause: float = 0.05  # between retries, so a failing server is not hammered
    interval: float = 0.0  # between confirmed addresses, to spread a burst over time
    answers: list[Answer] = field(default_factory=list)
    confirmed: str | None = None  # the last address answered good or nochg
    stopping: threading.Event = field(default_factory=threading.Event)
    holding: threading.Event = field(default_factory=threading.Event)  # set: wait, send nothing

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=30)

    def finished(self) -> bool:
        return not self.thread.is_alive()

    def _run(self) -> None:
        headers = {"Authorization": basic(self.fqdn, self.secret), "User-Agent": "ddclient/3.10"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=20) as http:
            index = 0
            while not self.stopping.is_set() and (self.cycle or index < len(self.addresses)):
                if self.holding.is_set():
                    time.sleep(0.01)
                    continue
                address = self.addresses[index % len(self.addresses)]
                answer = self._send(http, address)
                self.answers.append(answer)
                if answer.word in CONFIRMED:
                    self.confirmed = address
                    index += 1
                    time.sleep(self.interval)
                else:
                    time.sleep(self.pause)

    def _send(self, http: httpx.Client, address: str) -> Answer:
        sent = time.monotonic()
        params = {"hostname": self.fqdn, "myip": address}
        try:
            response = http.get("/nic/update", params=params)
        except httpx.HTTPError as exc:
            return Answer(address, sent, time.monotonic(), 0, type(exc).__name__, None)
        word = (response.text.split() or [""])[0]
        retry_after = response.headers.get("Retry-After")
        return Answer(address, sent, time.monotonic(), response.status_code, word, retry_after)


def start_clients(base_url: str, hosts: dict[str, str], addresses, **options) -> list[UpdateClient]:
    """One client per host; `addresses(i)` gives client i its list."""
    clients = [
        UpdateClient(base_url, fqdn, secret, addresses(i), **options)
        for i, (fqdn, secret) in enumerate(sorted(hosts.items()))
    ]
    for client in clients:
        client.start()
    return clients


def all_answers(clients: list[UpdateClient]) -> list[Answer]:
    return [answer for client in clients for answer in client.answers]
