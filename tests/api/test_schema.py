"""The OpenAPI schema is generated from the code, its pages are served from here (no
CDN), and schemathesis finds no 500 and no response that disagrees with the schema."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts import tokens
from ddns.wsgi import application
from domains import services
from tests.support.bind import unique_label

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)


@schemathesis.check
def no_internal_error(ctx, response, case) -> None:
    """No 500. (502 and 503 are the documented answers when a fuzzed zone's server
    refuses or does not answer, so schemathesis' own not_a_server_error is too broad.)"""
    if response.status_code == 500:
        raise AssertionError(f"500 for {case.method} {case.formatted_path}")


CHECKS = [
    no_internal_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_the_schema_and_its_pages_are_served_without_a_cdn(client, db):
    openapi = client.get("/api/v1/schema/?format=json").json()
    assert openapi["openapi"].startswith("3.")
    assert "/api/v1/hosts/{id}/txt/" in openapi["paths"]
    assert "/api/v1/groups/{id}/members/" in openapi["paths"]
    for page in ("/api/v1/docs/", "/api/v1/redoc/"):
        html = client.get(page).content.decode()
        assert "/static/drf_spectacular_sidecar/" in html
        assert "cdn" not in html.lower()


@pytest.fixture
def _connection_kept():
    """The WSGI handler closes the database connection around each request, which would
    end the test's transaction; Django's own test client switches that off the same way."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def caller(_connection_kept, db, domain, alice, settings):
    """Alice with two hosts and a full-scope token."""
    settings.DDNS_DNS_TIMEOUT = 0.3  # fuzzed zones point at servers that never answer
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"}
    }
    services.host_register(domain=domain, label=unique_label(), owner=alice)
    services.host_register(domain=domain, label=unique_label(), owner=alice)
    _token, raw = tokens.token_create(owner=alice, name="fuzz")
    return {"Authorization": f"Bearer {raw}"}


@schema.parametrize()
@hypothesis_settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_answers_as_its_schema_says(case, caller):
    case.call_and_validate(headers=caller, checks=CHECKS)
