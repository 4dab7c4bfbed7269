"""The REST API's shared pieces (api/ and failover/ both serve under /api/v1/ and may not
import each other): who is calling, what a token may reach, one JSON shape for every
error, bounded parsing, pagination, the zone filter and the request rates.

Configured by dotted path in settings.REST_FRAMEWORK; docs/api.md describes the contract.
"""

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.filters import BaseFilterBackend
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from accounts import tokens
from accounts.models import READ, ApiToken
from domains import limits, names
from domains.services import DnsFailure, UpdateRefused
from domains.visitors import visitor_address

# Seconds a client should wait before retrying a change the DNS server could not take now.
DNS_RETRY_AFTER = 60
TOO_MANY_FAILURES = "too many failed authentications from your address."
MAX_QUERY_VALUE = 253

# --- Who is calling ---------------------------------------------------------------------


class BearerTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <token>` with a personal API token (accounts.tokens)."""

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        raw = tokens.token_from_header(request.META.get("HTTP_AUTHORIZATION", ""))
        if raw is None:
            return None  # no token offered: the session may still authenticate
        source = visitor_address(request)
        wait = limits.source_refusal(source)
        if wait is not None:
            # Before the token is looked at: a guesser learns nothing and costs nothing.
            raise exceptions.Throttled(wait, TOO_MANY_FAILURES)
        try:
            # The same caller address as dyndns2 sees, so network limits mean one thing.
            token = tokens.token_authenticate(raw, source=source)
        except tokens.TokenRejected as rejected:
            limits.source_failed(source)
            raise exceptions.AuthenticationFailed(str(rejected)) from None
        return token.owner, token

    def authenticate_header(self, request: Request) -> str:
        # Makes a missing or bad token a 401 (DRF answers 403 without this header).
        return 'Bearer realm="api"'


def token_of(request: Request) -> ApiToken | None:
    """The token the request came with; None for a session."""
    return request.auth if isinstance(request.auth, ApiToken) else None


class TokenScope(BasePermission):
    """What a token's scope lets it do; a session may do whatever its user may.

    read: safe methods only. hosts: only the actions a view lists in
    `token_host_actions` (its queryset shows only the token's hosts). full: everything,
    and alone the views marked `full_scope_only` (a token must not mint a wider one).
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        token = token_of(request)
        if token is None:
            return True
        if getattr(view, "full_scope_only", False) and not token.can_manage():
            self.message = "only a token of scope full may do this"
            return False
        if request.method not in SAFE_METHODS and not token.can_write():
            self.message = "this token may only read"
            return False
        if token.can_manage() or token.scope == READ:
            return True
        if getattr(view, "action", None) in getattr(view, "token_host_actions", ()):
            return True
        self.message = "this token may only read and update its own hosts"
        return False


def may_manage(request: Request) -> bool:
    """Sessions and full-scope tokens may create and delete things."""
    token = token_of(request)
    return token is None or token.can_manage()


# --- Parsing, pages, filters, rates -----------------------------------------------------


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "the request body is too large"
    default_code = "too_large"


class BoundedJSONParser(JSONParser):
    """JSON, read only up to DATA_UPLOAD_MAX_MEMORY_SIZE (DRF reads the stream itself,
    past Django's own limit), and deep nesting refused instead of crashing."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise RequestTooLarge()
        try:
            return json.loads(body.decode("utf-8"), parse_constant=_no_constants)
        except (ValueError, RecursionError) as error:
            raise exceptions.ParseError(f"the body is not valid JSON: {error}") from None


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


class Pagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


class ZoneFilter(BaseFilterBackend):
    """`?zone=example.org` on list views that name their zone field in `zone_field`."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        field = getattr(view, "zone_field", None)
        zone = request.query_params.get("zone")
        if field is None or zone is None:
            return queryset
        zone = names.normalize_name(zone)
        if len(zone) > MAX_QUERY_VALUE or not zone.isprintable():
            return queryset.none()  # no zone has such a name (and NUL breaks PostgreSQL)
        return queryset.filter(**{field: zone})

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        if getattr(view, "zone_field", None) is None:
            return []
        return [
            {
                "name": "zone",
                "required": False,
                "in": "query",
                "description": "only objects in this zone, e.g. dyn.example.org",
                "schema": {"type": "string"},
            }
        ]


class _CallerIdent:
    """Count anonymous callers by the address dyndns2 sees (trusted proxies honoured)."""

    scope: str | None

    def get_ident(self, request: Request) -> str:
        return visitor_address(request) or "unknown"

    def get_rate(self) -> str | None:
        # Read per request, not at import, so settings changed at run time apply.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return str(rate) if rate else None


class AnonThrottle(_CallerIdent, AnonRateThrottle):
    pass


class UserThrottle(_CallerIdent, UserRateThrottle):
    pass


# --- One shape for every error ----------------------------------------------------------


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Every error as {"error": {"status", "code", "message", "fields"}} (docs/api.md)."""
    # Imported here: rest_framework.views imports this module (the authentication class)
    # while it loads.
    from rest_framework.views import exception_handler as drf_exception_handler

    exc = _as_api_exception(exc)
    response = drf_exception_handler(exc, context)  # sets WWW-Authenticate, Retry-After
    if response is None:
        return None  # a bug: let it be a 500 with its traceback in the log
    assert isinstance(exc, exceptions.APIException)
    if isinstance(exc, DnsUnavailable):
        response["Retry-After"] = str(DNS_RETRY_AFTER)
    response.data = error_body(response.status_code, exc)
    return response


def error_body(status_code: int, exc: exceptions.APIException) -> dict:
    fields: dict[str, list[str]] = {}
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        _flatten(exc.detail, "", fields)
        general = fields.pop(api_settings.NON_FIELD_ERRORS_KEY, [])
        message = " ".join(general) or "some fields are not valid"
        code = "invalid"
    else:
        message = " ".join(_messages(exc.detail))
        code = _first_code(exc.get_codes()) or exc.default_code
    return {"error": {"status": status_code, "code": code, "message": message, "fields": fields}}


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "taken"


class QuotaReached(exceptions.APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "quota"


class DnsUnavailable(exceptions.APIException):
    """The zone's server did not answer: the same request may succeed later."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "dns_unavailable"


class DnsRefused(exceptions.APIException):
    """The zone's server answered but did not take the change (refused, bad key...)."""

    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = "dns_refused"


def _as_api_exception(exc: Exception) -> Exception:
    """The services' and Django's errors as DRF exceptions, mapped here once."""
    if isinstance(exc, DnsFailure):
        kind = DnsUnavailable if exc.retryable else DnsRefused
        return kind(f"the DNS server did not accept the change: {exc}")
    if isinstance(exc, DjangoValidationError):
        return _service_refusal(exc)
    if isinstance(exc, UpdateRefused):
        if exc.retry_after is None:
            return exceptions.PermissionDenied(str(exc), code="abuse")
        return exceptions.Throttled(exc.retry_after, str(exc))
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    if isinstance(exc, SuspiciousOperation | BadRequest):
        return exceptions.ParseError("the request is malformed")
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def _service_refusal(error: DjangoValidationError) -> exceptions.APIException:
    codes = {e.code for e in error.error_list} if hasattr(error, "error_list") else set()
    message = " ".join(error.messages)
    if "taken" in codes:
        return Conflict(message)
    if "quota" in codes:
        return QuotaReached(message)
    code = next((c for c in codes if c), None) or "invalid"
    return exceptions.ValidationError(message, code=code)


def _flatten(detail: Any, prefix: str, into: dict[str, list[str]]) -> None:
    """Nested serializer errors as flat "members.0.ipv4" keys."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            _flatten(value, f"{prefix}.{key}" if prefix else str(key), into)
    elif isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        for index, value in enumerate(detail):
            _flatten(value, f"{prefix}.{index}" if prefix else str(index), into)
    else:
        into.setdefault(prefix or api_settings.NON_FIELD_ERRORS_KEY, []).extend(_messages(detail))


def _messages(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _messages(value)]
    if isinstance(detail, list):
        return [m for item in detail for m in _messages(item)]
    return [str(detail)] if str(detail) else []


def _first_code(codes: Any) -> str | None:
    if isinstance(codes, str):
        return codes
    if isinstance(codes, dict):
        codes = list(codes.values())
    for item in codes or []:
        found = _first_code(item)
        if found:
            return found
    return None
