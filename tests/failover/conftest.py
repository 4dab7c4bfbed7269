import pytest

from ddns.celery import app
from tests.support.groups import Members


@pytest.fixture(autouse=True)
def _loopback_targets(settings):
    # Members here are probed on 127.0.0.x, which only operators may do by default.
    settings.DDNS_HA_PRIVATE_TARGETS = True


@pytest.fixture
def members():
    """Two or three members on loopback (group tests use up to three)."""
    servers = Members(3)
    yield servers
    servers.stop()


@pytest.fixture(autouse=True)
def _alerts_run_inline():
    """Alert tasks run in the test's own process (and e-mails land in mail.outbox);
    tests of the real worker switch this off."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _fresh_alert_windows():
    from django.core.cache import cache

    cache.clear()  # repeated alerts are de-duplicated in the cache
    yield
    cache.clear()
