import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()  # login throttling counts live in the cache
    yield
    cache.clear()
