"""A database outage is answered as one: HTTP 503 with Retry-After, never a 500.

While PostgreSQL restarts (or the network to it fails) every query raises Django's
OperationalError or InterfaceError. Left alone, each would be a 500 with a traceback, and
clients would not know to come back. This middleware answers them all the same way, in
the words of the interface that was asked: `911` for dyndns2 clients, the API's JSON
error for /api/, the /nic JSON API's error for /nic/, plain text for pages. Once the
database answers again, the next request simply works: Django drops a connection that
failed (CONN_HEALTH_CHECKS in settings replaces one that broke while idle), so the same
processes recover without a restart.

Errors raised inside a view reach `process_exception`; those raised in another
middleware (a session read, the user's row) never do, since Django turns them into a 500
response on the spot: the `got_request_exception` signal marks the request then, and the
500 is replaced here on its way out. Install this first in MIDDLEWARE.
"""

import json
import logging
import sys
from collections.abc import Callable

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (OperationalError, InterfaceError)
# A restart takes seconds; a client that waits half a minute does not pile on meanwhile.
RETRY_AFTER_SECONDS = 30
MESSAGE = "The service's database is unavailable; please try again shortly."
DYNDNS2_PATHS = ("/nic/update", "/nic/delete")
_MARK = "_database_outage"


class DatabaseOutageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        got_request_exception.connect(_mark_outage, dispatch_uid="ops.outage")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, _MARK, False):
            return outage_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OUTAGE_ERRORS):
            return None
        logger.error("database unavailable while answering %s: %s", request.path, exception)
        return outage_response(request)


def _mark_outage(sender: object, request: HttpRequest | None = None, **kwargs: object) -> None:
    """Called inside Django's handler of an uncaught exception, so exc_info is it."""
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, OUTAGE_ERRORS):
        setattr(request, _MARK, True)


def outage_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After, worded for whoever asked."""
    path = request.path
    if path.startswith(DYNDNS2_PATHS):
        response = HttpResponse("911\n", content_type="text/plain; charset=utf-8")
    elif path.startswith("/nic/"):
        response = _json({"status": "error", "message": MESSAGE})
    elif path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        error = {"status": 503, "code": "database_unavailable", "message": MESSAGE, "fields": {}}
        response = _json({"error": error})
    else:
        response = HttpResponse(MESSAGE + "\n", content_type="text/plain; charset=utf-8")
    response.status_code = 503
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _json(body: dict) -> HttpResponse:
    return HttpResponse(json.dumps(body), content_type="application/json")
