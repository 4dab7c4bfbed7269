"""A real BIND `named` on loopback for the tests, and zones pointed at it."""

import itertools
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from devtools import named
from domains import crypto, dns, services
from domains.models import Domain
from tests.support.tools import require_tool

ZONE = "dyn.test"
KEY_NAME = "ddns-key."
_labels = itertools.count(1)


@dataclass
class Bind:
    """A running named serving ZONE (updatable) and locked.test (every update REFUSED)."""

    directory: Path
    port: int
    secret: str = field(default_factory=crypto.new_tsig_secret)
    process: subprocess.Popen | None = None

    @property
    def zones(self) -> list[named.Zone]:
        return [
            named.Zone(ZONE, KEY_NAME, self.secret),
            named.Zone("locked.test", KEY_NAME, self.secret, policy="none"),
        ]

    def start(self) -> None:
        self.process = named.start(self.directory, self.port, self.zones)

    def stop(self) -> None:
        if self.process:
            named.stop(self.process)
            self.process = None

    def server(self, zone: str = ZONE) -> dns.Server:
        return dns.Server(
            zone=zone,
            host="127.0.0.1",
            port=self.port,
            key_name=KEY_NAME,
            algorithm="hmac-sha256",
            secret=self.secret,
            timeout=2,
        )

    def lookup(self, fqdn: str, rdtype: str = "A") -> list[str]:
        return dns.lookup(self.server(), fqdn, rdtype)

    def publish(self, fqdn: str, address: str) -> None:
        """Write a record behind the service's back, as an operator would by hand."""
        dns.replace_addresses(self.server(), fqdn, {"A": address}, 60)

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def start_bind() -> Bind:
    require_tool("named", "bind9")
    bind = Bind(directory=Path(tempfile.mkdtemp(prefix="named-")), port=named.free_port())
    bind.start()
    return bind


def make_domain(bind: Bind, name: str = ZONE, **overrides) -> Domain:
    values = dict(
        name=name,
        nameserver_host="127.0.0.1",
        nameserver_port=bind.port,
        tsig_key_name=KEY_NAME,
        tsig_secret=bind.secret,
        public=True,
    )
    values.update(overrides)
    return services.domain_add(**values)


def unique_label(prefix: str = "host") -> str:
    # DNS outlives each test's database rollback: every test gets names of its own.
    return f"{prefix}-{os.getpid()}-{next(_labels)}"
