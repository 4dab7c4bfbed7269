"""Logs: one line per update with who, what and how long, and never a secret, whatever
carries it (a query string, an Authorization header, an exception, an extra field)."""

import io
import json
import logging
import sys

import pytest

from ddns.logs import JsonFormatter, RedactSecrets, redact
from tests.support.web import basic, body, nic

TOKEN = "ddns_" + "A1b2C3d4E5" * 4 + "xyz"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /nic/update?hostname=h.dyn.test&password=hunter2 HTTP/1.1",
         "GET /nic/update?hostname=h.dyn.test&password=[redacted] HTTP/1.1"),
        ("/nic/update?pass=hunter2&myip=192.0.2.1", "/nic/update?pass=[redacted]&myip=192.0.2.1"),
        ("secret=abc token=def key=ghi", "secret=[redacted] token=[redacted] key=[redacted]"),
        ("password%3Dhunter2", "password%3D[redacted]"),
        ("Authorization: Basic aDpodW50ZXIy", "Authorization: [redacted]"),
        ("{'HTTP_AUTHORIZATION': 'Bearer abc.def'}", "{'HTTP_AUTHORIZATION': '[redacted]'}"),
        (f"sent {TOKEN} by mistake", "sent ddns_[redacted] by mistake"),
        ("https://h.dyn.test:hunter2@example.org/nic/update",
         "https://h.dyn.test:[redacted]@example.org/nic/update"),
        ("hostname=h.dyn.test&myip=192.0.2.1 tsig_key_name=ddns-key",
         "hostname=h.dyn.test&myip=192.0.2.1 tsig_key_name=ddns-key"),
    ],
)  # fmt: skip
def test_redact_removes_every_kind_of_secret_and_nothing_else(text, expected):
    assert redact(text) == expected


def test_the_filter_redacts_arguments_tracebacks_and_extra_fields():
    record = logging.makeLogRecord(
        {"msg": "asked %s", "args": ("/x?password=hunter2",), "agent": "curl token=hunter2"}
    )
    try:
        raise ValueError("bad url https://u:hunter2@h/")
    except ValueError:
        record.exc_info = sys.exc_info()
    assert RedactSecrets().filter(record)
    text = logging.Formatter().format(record)
    assert "hunter2" not in text + record.agent
    assert "asked /x?password=[redacted]" in text
    assert "ValueError: bad url https://u:[redacted]@h/" in text


@pytest.fixture
def log_output():
    """What the configured console handler (settings.LOGGING) writes, as text."""
    handler = next(
        h for h in logging.getLogger().handlers
        if any(isinstance(f, RedactSecrets) for f in h.filters)
    )  # fmt: skip
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield handler, stream
    handler.setStream(previous)


@pytest.mark.django_db
def test_an_update_logs_one_line_without_its_password(client, make_host, log_output):
    _handler, stream = log_output
    host, secret = make_host()
    params = {"hostname": host.fqdn, "myip": "192.0.2.31", "username": host.fqdn}
    response = client.get(
        "/nic/update", {**params, "password": secret}, HTTP_USER_AGENT="router fw 1.2"
    )
    assert body(response) == "good 192.0.2.31\n"
    nic(client, host, secret, myip="192.0.2.31")
    client.get("/nic/update", params, HTTP_AUTHORIZATION=basic(host.fqdn, secret + "x"))
    lines = [line for line in stream.getvalue().splitlines() if "dyndns2.updates" in line]
    assert len(lines) == 3
    assert secret not in stream.getvalue()
    first = lines[0]
    assert f"/nic/update host={host.fqdn} result=good source=127.0.0.1 duration_ms=" in first
    assert first.endswith('user_agent="router fw 1.2"')
    assert "result=nochg" in lines[1] and "user_agent=ddclient/3.10.0" in lines[1]
    assert "result=badauth" in lines[2]


@pytest.mark.django_db
def test_the_json_format_has_the_update_fields(client, make_host, log_output):
    handler, stream = log_output
    previous = handler.formatter
    handler.setFormatter(JsonFormatter())
    try:
        host, secret = make_host()
        nic(client, host, secret, myip="192.0.2.32")
    finally:
        handler.setFormatter(previous)
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    update = next(e for e in entries if e["logger"] == "dyndns2.updates")
    assert update["level"] == "INFO"
    assert update["host"] == host.fqdn
    assert update["result"] == "good"
    assert update["source"] == "127.0.0.1"
    assert update["user_agent"] == "ddclient/3.10.0"
    assert isinstance(update["duration_ms"], float)
    assert secret not in stream.getvalue()


@pytest.mark.django_db
def test_a_logged_failure_carrying_a_secret_is_redacted(client, log_output):
    _handler, stream = log_output
    try:
        raise RuntimeError("upstream said: password=hunter2")
    except RuntimeError:
        logging.getLogger("domains").exception("while asking %s", "/x?token=hunter3")
    text = stream.getvalue()
    assert "hunter2" not in text and "hunter3" not in text
    assert "RuntimeError: upstream said: password=[redacted]" in text
