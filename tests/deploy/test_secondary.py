"""A hidden primary and a secondary, both configured by `manage.py bind_config`: an update
through the service reaches the secondary by NOTIFY/IXFR, and nothing writes to it."""

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command

from devtools import named
from domains import dns, services
from tests.support.bind import unique_label
from tests.support.limits import _limits_of_this_test  # noqa: F401  (own Redis keys)
from tests.support.tools import require_tool
from tests.support.web import body, nic

ZONE = "edge.test"
UPDATE_KEY = "ddns-key."
TRANSFER_KEY = "ddns-transfer."
PROPAGATION_DEADLINE = 2.0


@dataclass
class Pair:
    root: Path
    primary_port: int
    secondary_port: int

    def secret(self, name: str) -> str:
        return (self.root / "keys" / name).read_text().strip()

    def server(self, port: int, key_name: str, key_file: str) -> dns.Server:
        return dns.Server(
            zone=ZONE,
            host="127.0.0.1",
            port=port,
            key_name=key_name,
            algorithm="hmac-sha256",
            secret=self.secret(key_file),
            timeout=2,
        )

    def primary(self) -> dns.Server:
        return self.server(self.primary_port, UPDATE_KEY, "update")

    def secondary(self, key_name: str = TRANSFER_KEY, key_file: str = "transfer") -> dns.Server:
        return self.server(self.secondary_port, key_name, key_file)


def generate(role: str, directory: Path, listen: int, peer_flag: str, peer: int, keys: Path):
    """named.conf for one role, from the command an operator runs."""
    arguments = ["--role", role, "--zone", ZONE, "--full", "--directory", str(directory)]
    arguments += ["--listen", f"127.0.0.1:{listen}", peer_flag, f"127.0.0.1:{peer}"]
    arguments += ["--transfer-key-file", str(keys / "transfer")]
    arguments += ["--output", str(directory / "named.conf")]
    if role == "primary":
        arguments += ["--key-file", str(keys / "update"), "--create-keys", "--write-zone-files"]
    call_command("bind_config", *arguments)
    return directory / "named.conf"


@pytest.fixture(scope="module")
def pair():
    require_tool("named", "bind9")
    root = Path(tempfile.mkdtemp(prefix="named-pair-"))
    ports = named.free_port(), named.free_port()
    keys = root / "keys"
    processes = []
    try:
        for role, listen, flag, peer in (
            ("primary", ports[0], "--secondary", ports[1]),
            ("secondary", ports[1], "--primary", ports[0]),
        ):
            directory = root / role
            conf = generate(role, directory, listen, flag, peer, keys)
            processes.append(named.run(conf, "127.0.0.1", listen, ZONE, directory / "named.log"))
        yield Pair(root, *ports)
    finally:
        for process in processes:
            named.stop(process)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def zone(db, pair):
    # The service knows the primary only; the signed test write goes there.
    return services.domain_add(
        name=ZONE,
        nameserver_host="127.0.0.1",
        nameserver_port=pair.primary_port,
        tsig_key_name=UPDATE_KEY,
        tsig_secret=pair.secret("update"),
        public=True,
        check=True,
    )


def wait_for_answer(
    server: dns.Server, fqdn: str, wanted: list[str], started: float | None = None
) -> float:
    """Seconds from started (now) until the server answers wanted; fails past the deadline.

    The clock starts when the service answered `good`: from then on BIND has the change,
    and what is measured is how long the secondary takes to follow."""
    started = started or time.monotonic()
    while (elapsed := time.monotonic() - started) < PROPAGATION_DEADLINE:
        if dns.lookup(server, fqdn, "A") == wanted:
            return elapsed
        time.sleep(0.01)
    pytest.fail(f"{fqdn} not {wanted} on the secondary after {PROPAGATION_DEADLINE} s")


def test_an_update_through_the_service_is_answered_by_the_secondary_within_2_s(
    client, zone, alice, pair
):
    host, secret = services.host_register(domain=zone, label=unique_label("laptop"), owner=alice)

    sent = time.monotonic()
    response = nic(client, host, secret, myip="192.0.2.77")
    answered = time.monotonic()

    assert body(response).strip() == "good 192.0.2.77"
    elapsed = wait_for_answer(pair.secondary(), host.fqdn, ["192.0.2.77"], started=answered)
    print(
        f"\nthe service answered in {(answered - sent) * 1000:.0f} ms; the secondary had the "
        f"new address {elapsed * 1000:.0f} ms later"
    )
    assert dns.lookup(pair.primary(), host.fqdn, "A") == ["192.0.2.77"]


def test_the_secondary_follows_every_change_of_a_host(client, zone, alice, pair):
    host, secret = services.host_register(domain=zone, label=unique_label("router"), owner=alice)

    delays = []
    for address in ("192.0.2.10", "192.0.2.11", "192.0.2.12"):
        sent = time.monotonic()
        assert body(nic(client, host, secret, myip=address)).strip() == f"good {address}"
        delays.append(wait_for_answer(pair.secondary(), host.fqdn, [address], started=sent))
    print(f"\nfrom each request to the secondary's answer: {[round(d * 1000) for d in delays]} ms")


def test_the_secondary_refuses_a_direct_update_even_with_a_key_it_knows(zone, pair):
    with pytest.raises(dns.DnsRefused):
        dns.replace_addresses(pair.secondary(), f"intruder.{ZONE}", {"A": "192.0.2.66"}, 60)

    assert dns.lookup(pair.primary(), f"intruder.{ZONE}", "A") == []


def test_the_secondary_does_not_hold_the_services_update_key(zone, pair):
    conf = (pair.root / "secondary" / "named.conf").read_text()

    assert pair.secret("update") not in conf
    with pytest.raises(dns.DnsError):
        dns.replace_addresses(
            pair.secondary(UPDATE_KEY, "update"), f"intruder.{ZONE}", {"A": "192.0.2.66"}, 60
        )


def test_the_service_sends_its_changes_to_the_primary_only(client, zone, alice, pair):
    host, secret = services.host_register(domain=zone, label=unique_label("vm"), owner=alice)

    assert body(nic(client, host, secret, myip="192.0.2.90")).strip() == "good 192.0.2.90"

    assert (zone.nameserver_host, zone.nameserver_port) == ("127.0.0.1", pair.primary_port)
    wait_for_answer(pair.secondary(), host.fqdn, ["192.0.2.90"])
    primary_log = (pair.root / "primary" / "named.log").read_text()
    secondary_log = (pair.root / "secondary" / "named.log").read_text()
    assert f"adding an RR at '{host.fqdn}' A 192.0.2.90" in primary_log
    assert "updating zone" not in secondary_log  # it only ever loads transfers
    assert "Transfer status: success" in secondary_log
