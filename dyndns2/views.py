"""dyndns2 endpoints: parse the request, ask the update use case, render plain text."""

import logging
from collections.abc import Callable

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from domains.visitors import visitor_address
from dyndns2 import protocol, update

logger = logging.getLogger(__name__)


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
    try:
        lines = handler(_nic_request(request))
    except (SuspiciousOperation, BadRequest, MultiPartParserError, UnicodeDecodeError) as exc:
        # Too many or too large parameters, or a body that cannot be parsed.
        logger.info("rejected malformed request to %s: %s", request.path, exc)
        lines = [protocol.Line(protocol.BADREQUEST)]
    except DatabaseError:
        logger.exception("database unavailable while answering %s", request.path)
        lines = [protocol.Line(protocol.SERVICE_PROBLEM)]
    status = protocol.http_status(lines)
    response = _plain(protocol.render(lines), status)
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="dynamic DNS update", charset="UTF-8"'
    elif status == 503:
        response["Retry-After"] = "300"
    return response


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
