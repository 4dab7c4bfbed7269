"""Shared fixtures: a real BIND `named` on loopback, a zone pointed at it, hosts, people.

Helpers (not fixtures) live in tests/support/; no test module imports another.
"""

import pytest

from domains import services
from tests.support.bind import make_domain, start_bind, unique_label
from tests.support.web import logged_in

# Browser, live-server and OpenID Connect provider fixtures, for every package's tests.
pytest_plugins = ["tests.support.browser", "tests.support.limits"]


@pytest.fixture(scope="session")
def bind():
    server = start_bind()
    yield server
    server.stop()
    server.remove()


@pytest.fixture
def private_bind():
    """A named of the test's own, for tests that stop or break the server."""
    server = start_bind()
    yield server
    server.stop()
    server.remove()


@pytest.fixture(autouse=True)
def _fast_dns_timeout(settings):
    settings.DDNS_DNS_TIMEOUT = 1.0


@pytest.fixture
def domain(db, bind):
    return make_domain(bind)


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.org", "alice-pw-1234")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", "bob@example.org", "bob-pw-1234")


@pytest.fixture
def alice_client(alice):
    return logged_in(alice)


@pytest.fixture
def bob_client(bob):
    return logged_in(bob)


@pytest.fixture
def make_host(domain, alice):
    """Register a host with a fresh name; returns (host, secret)."""

    def factory(owner=None, label=None, on=None):
        return services.host_register(
            domain=on or domain, label=label or unique_label(), owner=owner or alice
        )

    return factory
