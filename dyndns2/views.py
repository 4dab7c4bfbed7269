"""dyndns2 endpoints: parse the request, ask the update use case, render plain text."""

import logging
import time
from collections.abc import Callable

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from domains import metrics
from domains.visitors import basic_credentials, visitor_address
from dyndns2 import protocol, update

logger = logging.getLogger(__name__)
# One line per update request (docs/observability.md), apart so it can be routed or muted.
updates_log = logging.getLogger("dyndns2.updates")
# What reading a request's parameters raises when they are too many, too large or unparsable.
MALFORMED = (SuspiciousOperation, BadRequest, MultiPartParserError, UnicodeDecodeError)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def nic_update(request: HttpRequest) -> HttpResponse:
    return _answer(request, update.update)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def nic_delete(request: HttpRequest) -> HttpResponse:
    return _answer(request, update.delete)


@require_http_methods(["GET", "HEAD"])
def myip(request: HttpRequest) -> HttpResponse:
    response = _plain((visitor_address(request) or "") + "\n", 200)
    # The portal's address page fetches this from the IPv4-only / IPv6-only names.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _answer(request: HttpRequest, handler: Callable[[update.NicRequest], list]) -> HttpResponse:
    started = time.perf_counter()
    lines = _lines(request, handler)
    seconds = time.perf_counter() - started
    _count_and_log(request, lines, seconds)
    status = protocol.http_status(lines)
    response = _plain(protocol.render(lines), status)
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="dynamic DNS update", charset="UTF-8"'
    elif status == 503:
        response["Retry-After"] = "300"
    return response


def _lines(
    request: HttpRequest, handler: Callable[[update.NicRequest], list]
) -> list[protocol.Line]:
    try:
        return handler(_nic_request(request))
    except MALFORMED as exc:
        # Too many or too large parameters, or a body that cannot be parsed.
        logger.info("rejected malformed request to %s: %s", request.path, exc)
        return [protocol.Line(protocol.BADREQUEST)]
    except DatabaseError:
        logger.exception("database unavailable while answering %s", request.path)
        return [protocol.Line(protocol.SERVICE_PROBLEM)]


def _count_and_log(request: HttpRequest, lines: list[protocol.Line], seconds: float) -> None:
    """The metrics and the one log line of each request: who, what, the answer, how long.
    Never the password: only the host (or account) name leaves the credentials."""
    results = [line.code for line in lines]
    for result in results:
        metrics.update_answered(result)
    metrics.update_request_took(seconds)
    fields = {
        "host": _named_host(request),
        "result": ",".join(results),
        "source": visitor_address(request) or "-",
        "duration_ms": round(seconds * 1000, 1),
        "user_agent": printable(request.META.get("HTTP_USER_AGENT", ""))[:255],
    }
    updates_log.info(
        "%s host=%s result=%s source=%s duration_ms=%s user_agent=%s",
        request.path, *(_quoted(value) for value in fields.values()), extra=fields,
    )  # fmt: skip


def _named_host(request: HttpRequest) -> str:
    """The hostname parameter, else the user name (a host's name or an account)."""
    hostname = _parameter(request, "hostname")
    if hostname:
        return printable(hostname)[:255]
    creds = basic_credentials(request.META.get("HTTP_AUTHORIZATION", ""))
    username = creds[0] if creds else _parameter(request, "username")
    return printable(username)[:255] or "-"


def _parameter(request: HttpRequest, name: str) -> str:
    try:
        value = request.GET.get(name) or (
            request.POST.get(name) if request.method == "POST" else ""
        )
    except MALFORMED:
        return ""  # already answered as malformed: the line names no host
    return value or ""


def _quoted(value: object) -> str:
    """A value as one token of the text line: quoted when it holds spaces or quotes."""
    text = str(value)
    if text and not any(ch in text for ch in ' "='):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _nic_request(request: HttpRequest) -> update.NicRequest:
    params = request.GET.dict()
    if request.method == "POST":
        params.update(request.POST.dict())
    return update.NicRequest(
        query=params,
        authorization=request.META.get("HTTP_AUTHORIZATION"),
        client=visitor_address(request),
        user_agent=printable(request.META.get("HTTP_USER_AGENT", ""))[:255],
        tls=request.is_secure(),
    )


def printable(text: str) -> str:
    """Drop control characters (a NUL cannot even be stored in PostgreSQL)."""
    return "".join(ch for ch in text if ch.isprintable())


def _plain(body: str, status: int) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")
    response["Content-Length"] = str(len(response.content))
    return response
