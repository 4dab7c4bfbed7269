import pytest

from ddns.celery import app


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
