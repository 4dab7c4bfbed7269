"""Malformed and hostile requests: always the one JSON error shape, never a 500."""

import pytest

pytestmark = pytest.mark.django_db


def assert_error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) == {"status", "code", "message", "fields"}
    assert error["status"] == status
    return error


def test_an_unknown_path_is_a_json_404(alice_api):
    assert_error(alice_api.get("/api/v1/nothing/here/"), 404)
    assert_error(alice_api.get("/api/v1/hosts/99999999999999999999999/"), 404)


def test_a_body_that_is_not_json_is_a_400(alice_api, domain):
    response = alice_api.post("/api/v1/hosts/", b"{label:", content_type="application/json")
    assert assert_error(response, 400)["code"] == "parse_error"


def test_a_form_body_is_unsupported(alice_api, domain):
    response = alice_api.post("/api/v1/hosts/", {"label": "x", "zone": "dyn.test"})
    assert_error(response, 415)


def test_an_oversized_body_is_a_413(alice_api, domain, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = b'{"label": "x", "comment": "' + b"a" * 5000 + b'"}'
    response = alice_api.post("/api/v1/hosts/", body, content_type="application/json")
    assert assert_error(response, 413)["code"] == "too_large"


def test_deeply_nested_json_is_a_400(alice_api, domain):
    body = "[" * 100_000 + "]" * 100_000
    response = alice_api.post("/api/v1/hosts/", body, content_type="application/json")
    assert_error(response, 400)


@pytest.mark.parametrize(
    "data",
    [
        [1, 2],
        "label",
        {"label": 5, "zone": ["dyn.test"]},
        {"label": "ok", "zone": "dyn.test", "comment": "a\x00b"},
        {"label": None, "zone": None},
    ],
)
def test_wrong_types_are_field_errors(alice_api, domain, data):
    response = alice_api.post("/api/v1/hosts/", data, format="json")
    assert_error(response, 400)


def test_a_lone_surrogate_is_a_field_error(alice_api, domain):
    body = b'{"label": "ok", "zone": "dyn.test", "comment": "\\ud800"}'
    response = alice_api.post("/api/v1/hosts/", body, content_type="application/json")
    assert "comment" in assert_error(response, 400)["fields"]


def test_nested_errors_are_flattened(alice_api, make_host):
    host, _ = make_host()
    response = alice_api.post(
        "/api/v1/groups/", {"host": host.pk, "members": [{"weight": "x"}]}, format="json"
    )
    fields = assert_error(response, 400)["fields"]
    assert "members.0.address" in fields and "members.0.weight" in fields


def test_nan_is_not_a_number(alice_api, make_host):
    make_host()
    response = alice_api.post(
        "/api/v1/groups/", b'{"host": 1, "timeout": NaN}', content_type="application/json"
    )
    assert_error(response, 400)


def test_a_wrong_method_is_a_405(alice_api):
    assert_error(alice_api.put("/api/v1/hosts/", {}, format="json"), 405)
