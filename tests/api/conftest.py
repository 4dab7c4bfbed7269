"""The API's callers: personal tokens of each scope, sessions with and without CSRF."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts import tokens


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    cache.clear()  # request rates are counted in the cache
    yield
    cache.clear()


def bearer(raw: str, **extra) -> APIClient:
    """A client that sends `Authorization: Bearer <raw>` (and any other META given)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}", **extra)
    return client


@pytest.fixture
def token_client():
    """A client authenticated with a new token of the given owner and options."""

    def make(owner, **options) -> APIClient:
        _token, raw = tokens.token_create(owner=owner, name=options.pop("name", "test"), **options)
        return bearer(raw)

    return make


@pytest.fixture
def alice_api(alice, token_client) -> APIClient:
    return token_client(alice)


@pytest.fixture
def bob_api(bob, token_client) -> APIClient:
    return token_client(bob)
