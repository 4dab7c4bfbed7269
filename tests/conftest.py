"""Shared fixtures: a real BIND `named` on loopback, a zone pointed at it, hosts, people."""

import itertools
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from domains import crypto, dns, named, services

ZONE = "dyn.test"
KEY_NAME = "ddns-key."
_labels = itertools.count(1)


def require_tool(command: str, package: str) -> str:
    """Path of a tool; in CI a missing tool fails the test, elsewhere it skips it."""
    found = shutil.which(command) or shutil.which(f"/usr/sbin/{command}")
    if found:
        return found
    message = f"{command} is not installed: apt-get install {package}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


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


def _start_bind() -> Bind:
    require_tool("named", "bind9")
    bind = Bind(directory=Path(tempfile.mkdtemp(prefix="named-")), port=named.free_port())
    bind.start()
    return bind


@pytest.fixture(scope="session")
def bind():
    server = _start_bind()
    yield server
    server.stop()
    shutil.rmtree(server.directory, ignore_errors=True)


@pytest.fixture
def private_bind():
    """A named of the test's own, for tests that stop or break the server."""
    server = _start_bind()
    yield server
    server.stop()
    shutil.rmtree(server.directory, ignore_errors=True)


@pytest.fixture(autouse=True)
def _fast_dns_timeout(settings):
    settings.DDNS_DNS_TIMEOUT = 1.0


def make_domain(bind: Bind, name: str = ZONE, **overrides):
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


@pytest.fixture
def domain(db, bind):
    return make_domain(bind)


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.org", "alice-pw-1234")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", "bob@example.org", "bob-pw-1234")


def logged_in(user):
    """A test client with the user's session, as if they had logged in."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice):
    return logged_in(alice)


@pytest.fixture
def bob_client(bob):
    return logged_in(bob)


def unique_label(prefix: str = "host") -> str:
    # DNS outlives each test's database rollback: every test gets names of its own.
    return f"{prefix}-{os.getpid()}-{next(_labels)}"


@pytest.fixture
def make_host(domain, alice):
    """Register a host with a fresh name; returns (host, secret)."""

    def factory(owner=None, label=None, on=None):
        return services.host_register(
            domain=on or domain, label=label or unique_label(), owner=owner or alice
        )

    return factory
