"""Limits (domains.limits) counted per test: each test gets keys of its own in Redis, so
one test's updates and failures never limit another's, and runs in parallel never meet.
Keys expire by themselves (every limit key has a TTL)."""

import uuid

import pytest

from domains import limits


@pytest.fixture(autouse=True)
def _limits_of_this_test(settings):
    settings.DDNS_LIMITS_KEY_PREFIX = f"ddns:test:{uuid.uuid4().hex}:"
    # Every nochg reaches Redis at once, so a test sees the flag on the update that earns
    # it (tests/limits/test_nochg_abuse.py checks the deferred sending on its own).
    settings.DDNS_NOCHG_FLUSH_SECONDS = 0.0
    limits.reset()
    yield
    limits.reset()
