"""No secret reaches a log: every logger at DEBUG while a representative set of requests
runs through every interface (with right and wrong secrets, in every place a client may
put them), then the captured text, arguments and extra fields are searched for each one."""

import io
import json
import logging
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client

from accounts import tokens
from ddns.logs import JsonFormatter
from domains import crypto
from tests.support.accounts import PASSWORD, verified_user
from tests.support.bind import KEY_NAME
from tests.support.limits import _limits_of_this_test  # noqa: F401  (own Redis keys)
from tests.support.web import basic, logged_in

pytestmark = pytest.mark.django_db
# Values any formatter may write as they are. Objects (django.request attaches the request)
# are checked as the project's formatters render them (the handlers' output).
PLAIN = (str, int, float, bool, list, tuple, dict)


class BothFormats(logging.Formatter):
    """The project's text line and its JSON line for each record: whichever format an
    operator picks (DDNS_LOG_FORMAT), neither may carry a secret."""

    def __init__(self, text: logging.Formatter | None) -> None:
        super().__init__()
        self.text = text or logging.Formatter()
        self.json = JsonFormatter()

    def format(self, record: logging.LogRecord) -> str:
        return self.text.format(record) + "\n" + self.json.format(record)


def project_handlers() -> list[logging.Handler]:
    """The handlers settings.LOGGING installed (on the root and on Django's loggers)."""
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    handlers = {id(h): h for logger in loggers for h in logger.handlers}
    return [h for h in handlers.values() if isinstance(h, logging.StreamHandler)]


@pytest.fixture
def every_log(caplog) -> Iterator[tuple[pytest.LogCaptureFixture, io.StringIO]]:
    """Every logger at DEBUG; the project's own handlers write (in both formats) into a
    buffer, and caplog also listens on the loggers that do not propagate to the root."""
    cache.clear()  # throttling counts from other tests must not refuse these requests
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    buffer = io.StringIO()
    handlers = [(h, h.setStream(buffer), h.formatter) for h in project_handlers()]
    for handler, _stream, formatter in handlers:
        handler.setFormatter(BothFormats(formatter))
    levels = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    isolated = [logger for logger in loggers if not logger.propagate]
    for logger in isolated:
        logger.addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG)
    yield caplog, buffer
    for logger in isolated:
        logger.removeHandler(caplog.handler)
    for logger, level in levels:
        logger.setLevel(level)
    for handler, stream, formatter in handlers:
        handler.setStream(stream)
        handler.setFormatter(formatter)
    cache.clear()


def logged_text(caplog: pytest.LogCaptureFixture, written: io.StringIO) -> str:
    """What the project's handlers wrote, and what any handler could: each record's
    message, arguments, traceback and plain extra fields."""
    parts = [written.getvalue(), caplog.text]
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        parts.extend(repr(value) for value in vars(record).values() if isinstance(value, PLAIN))
    return "\n".join(parts)


def dyndns2_requests(client: Client, fqdn: str, secret: str, token: str, user: str) -> list[str]:
    """A host updated with its secret in the query, in Basic, and with a token; then wrong
    secrets in each place. Returns the wrong secrets (they must not be logged either)."""
    wrong = ["wrong-" + crypto.new_host_secret(), "ddns_" + "x" * 43]
    update = "/nic/update"
    client.get(update, {"hostname": fqdn, "myip": "192.0.2.70", "username": fqdn,
                        "password": secret})  # fmt: skip
    client.get(update, {"hostname": fqdn, "myip": "192.0.2.71"},
               HTTP_AUTHORIZATION=basic(fqdn, secret))  # fmt: skip
    client.get(update, {"hostname": fqdn, "myip": "192.0.2.72"},
               HTTP_AUTHORIZATION=basic(user, token))  # fmt: skip
    client.get(update, {"hostname": fqdn, "myip": "192.0.2.73"},
               HTTP_AUTHORIZATION=f"Bearer {token}")  # fmt: skip
    for bad in wrong:
        client.get(update, {"hostname": fqdn, "username": fqdn, "password": bad})
        client.get(update, {"hostname": fqdn}, HTTP_AUTHORIZATION=basic(fqdn, bad))
        client.get(update, {"hostname": fqdn}, HTTP_AUTHORIZATION=f"Bearer {bad}")
    client.get("/nic/delete", {"hostname": fqdn, "myip": "0.0.0.0", "username": fqdn,
                               "password": secret})  # fmt: skip
    return wrong


def api_requests(client: Client, host_id: int, token: str) -> list[str]:
    """REST and /nic JSON calls with a token: reads, a change, secrets handed out."""
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    client.get("/api/v1/hosts/", **auth)
    client.patch(f"/api/v1/hosts/{host_id}/", json.dumps({"ipv4": "192.0.2.74"}),
                 content_type="application/json", **auth)  # fmt: skip
    new_secret = client.post(f"/api/v1/hosts/{host_id}/secret/", **auth).json()["secret"]
    created = client.post("/api/v1/tokens/", json.dumps({"name": "minted"}),
                          content_type="application/json", **auth).json()["token"]  # fmt: skip
    client.get("/api/v1/hosts/", HTTP_AUTHORIZATION="Bearer ddns_" + "y" * 43)
    client.get("/nic/hosts", **auth)
    registered = client.get("/nic/register", {"fqdn": f"logged-{host_id}.dyn.test"}, **auth)
    client.get("/nic/hosts", HTTP_AUTHORIZATION="Bearer ddns_" + "z" * 43)
    return [new_secret, created, registered.json()["host"]["update_secret"]]


def acme_requests(client: Client, fqdn: str, secret: str) -> None:
    record = json.dumps({"fqdn": f"_acme-challenge.{fqdn}.", "value": "v" * 43})
    for password in (secret, "wrong-" + secret):
        client.post("/acme/httpreq/present", record, content_type="application/json",
                    HTTP_AUTHORIZATION=basic(fqdn, password))  # fmt: skip
        client.post("/acme-dns/update", json.dumps({"subdomain": fqdn, "txt": "w" * 43}),
                    content_type="application/json", HTTP_X_API_USER=fqdn,
                    HTTP_X_API_KEY=password)  # fmt: skip


def zone_requests(client: Client, bind, tsig_secret: str) -> None:
    """A zone whose server refuses the signed test write: the failure is logged and
    answered, and the TSIG secret must appear in neither."""
    body = {
        "name": "locked.test",
        "nameserver_host": "127.0.0.1",
        "nameserver_port": bind.port,
        "tsig_key_name": KEY_NAME,
        "tsig_secret": tsig_secret,
    }
    client.post("/api/v1/zones/", json.dumps(body), content_type="application/json")


def portal_logins(django_user_model) -> None:
    verified_user(django_user_model, "dora")
    Client().post("/accounts/login/", {"login": "dora", "password": PASSWORD})
    Client().post("/accounts/login/", {"login": "dora", "password": PASSWORD + "-wrong"})


def test_no_request_logs_any_secret(every_log, alice, make_host, bind, django_user_model):
    host, secret = make_host()
    _token, token = tokens.token_create(owner=alice, name="script")
    client = Client()
    secrets = [secret, token, bind.secret, PASSWORD, PASSWORD + "-wrong"]

    secrets += dyndns2_requests(client, host.fqdn, secret, token, alice.username)
    secrets += api_requests(client, host.pk, token)
    acme_requests(client, host.fqdn, secret)
    zone_requests(logged_in(alice), bind, bind.secret)
    portal_logins(django_user_model)

    caplog, written = every_log
    text = logged_text(caplog, written)
    assert len(caplog.records) > 5, "the requests should have logged something"
    assert "Unauthorized: /nic/update" in written.getvalue()  # Django's 4xx lines included
    leaked = [s[:6] + "…" for s in secrets if s in text]
    assert not leaked, f"secrets found in the logs: {leaked}"
