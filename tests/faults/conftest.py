"""Fixtures the fault tests share."""

import pytest

from tests.support.groups import Members


@pytest.fixture
def members():
    """Two health-check targets that answer until stopped."""
    servers = Members(2)
    yield servers
    servers.stop()
