"""dyndns2 endpoints: parse the request, ask domains.nic, render plain text."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from domains import dyndns2, nic

logger = logging.getLogger(__name__)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def nic_update(request: HttpRequest) -> HttpResponse:
    return _answer(request, nic.update)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def nic_delete(request: HttpRequest) -> HttpResponse:
    return _answer(request, nic.delete)


@require_http_methods(["GET", "HEAD"])
def myip(request: HttpRequest) -> HttpResponse:
    response = _plain(visitor_address(request) + "\n", 200)
    # The portal's address page fetches this from the IPv4-only / IPv6-only names.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def visitor_address(request: HttpRequest) -> str:
    """The caller's address: REMOTE_ADDR, or X-Forwarded-For behind a trusted proxy."""
    address = dyndns2.client_address(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR"),
        settings.DDNS_TRUSTED_PROXIES,
    )
    return address or ""


def _answer(request: HttpRequest, handler: Callable[[nic.NicRequest], list]) -> HttpResponse:
    try:
        lines = handler(_nic_request(request))
    except (SuspiciousOperation, BadRequest, MultiPartParserError, UnicodeDecodeError) as exc:
        # Too many or too large parameters, or a body that cannot be parsed.
        logger.info("rejected malformed request to %s: %s", request.path, exc)
        lines = [dyndns2.Line(dyndns2.BADREQUEST)]
    except DatabaseError:
        logger.exception("database unavailable while answering %s", request.path)
        lines = [dyndns2.Line(dyndns2.SERVICE_PROBLEM)]
    status = dyndns2.http_status(lines)
    response = _plain(dyndns2.render(lines), status)
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="dynamic DNS update", charset="UTF-8"'
    elif status == 503:
        response["Retry-After"] = "300"
    return response


def _nic_request(request: HttpRequest) -> nic.NicRequest:
    params = request.GET.dict()
    if request.method == "POST":
        params.update(request.POST.dict())
    return nic.NicRequest(
        query=params,
        authorization=request.META.get("HTTP_AUTHORIZATION"),
        client=visitor_address(request) or None,
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
