"""The EGI-compatible /nic JSON API (the federated cloud's "fedcloud dynamic DNS").

The calls, parameters and answers of the nsupdate.info fork EGI runs, so the tools that
already use it (the Infrastructure Manager's EGI DNS connector, scripts from the EGI docs)
work here unchanged: `GET /nic/domains`, `/nic/hosts`, `/nic/register`, `/nic/unregister`
and `/nic/generate_secret`, answered `{"status": "ok", ...}` or
`{"status": "error", "message": "..."}`. docs/nic-api.md is the contract.

The caller is named by `Authorization: Bearer <token>`: a personal API token
(accounts.tokens) or an OpenID Connect access token (accounts.oidc). Sessions are not
accepted: these calls change things on GET, so a page could otherwise make a logged-in
browser call them. Every write goes through domains.services; the refusals they raise
are turned into HTTP answers in one place, `_failure`.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import BadRequest, SuspiciousOperation, ValidationError
from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from accounts import oidc, tokens
from accounts.models import ApiToken
from domains import limits, names, selectors, services
from domains.models import Domain, Host
from domains.visitors import visitor_address

logger = logging.getLogger(__name__)

UNAUTHORIZED = "Unauthorized access"
TOO_MANY_FAILURES = "Too many failed authentications from your address; try again later"
# Longest parameter worth looking at: a full domain name.
MAX_NAME_LENGTH = 253
FLAGS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
# Service refusals (ValidationError codes of domains.services) and their HTTP status.
REFUSAL_STATUS = {"taken": 409, "managed": 409, "quota": 403, "reserved": 403, "zone": 403}
RETRY_AFTER_SECONDS = "60"


class NicError(Exception):
    """An answer {"status": "error", "message": message} with this HTTP status."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True)
class Caller:
    user: User
    token: ApiToken  # for an OpenID Connect access token, a full-scope one of its user

    def may_manage(self) -> bool:
        return self.token.can_manage()


Handler = Callable[[HttpRequest, Caller], dict[str, Any]]


def nic_call(*, manage: bool) -> Callable[[Handler], Callable[[HttpRequest], JsonResponse]]:
    """A /nic view: authenticate, check the credential's reach, answer JSON either way."""

    def decorate(handler: Handler) -> Callable[[HttpRequest], JsonResponse]:
        @csrf_exempt
        @wraps(handler)
        def view(request: HttpRequest) -> JsonResponse:
            try:
                if request.method not in ("GET", "HEAD"):
                    raise NicError(405, "Method not allowed: use GET")
                caller = _caller(request)
                if manage and not caller.may_manage():
                    raise NicError(403, "This token may not register or remove hosts")
                body = handler(request, caller)
            except Exception as error:
                return _error_answer(request, error)
            return JsonResponse({"status": "ok", **body})

        return view

    return decorate


def _caller(request: HttpRequest) -> Caller:
    raw = tokens.token_from_header(request.META.get("HTTP_AUTHORIZATION", ""))
    if raw is None:
        raise NicError(401, UNAUTHORIZED)
    source = visitor_address(request)
    wait = limits.source_refusal(source)
    if wait is not None:
        raise NicError(429, TOO_MANY_FAILURES, retry_after=wait)
    try:
        # The same caller address as dyndns2 sees, so network limits mean one thing.
        token = oidc.bearer_token(raw, source=source)
    except tokens.TokenRejected:
        limits.source_failed(source)
        raise NicError(401, UNAUTHORIZED) from None
    return Caller(user=token.owner, token=token)


# --- The calls --------------------------------------------------------------------------


@nic_call(manage=False)
def nic_domains(request: HttpRequest, caller: Caller) -> dict[str, Any]:
    """The caller's own zones, and the public zones of others (enabled ones)."""
    own = selectors.zones_of(caller.user).select_related("owner")
    public = (
        selectors.domains_usable_by(caller.user)
        .filter(public=True)
        .exclude(owner=caller.user)
        .select_related("owner")
    )
    return {
        "private": [_zone_json(zone) for zone in own],
        "public": [_zone_json(z) for z in public],
    }


@nic_call(manage=False)
def nic_hosts(request: HttpRequest, caller: Caller) -> dict[str, Any]:
    hosts = selectors.hosts_of(caller.user).order_by("domain__name", "label")
    zone = _param(request, "domain")
    if zone is not None:
        zone = names.normalize_name(zone)
        if not names.is_fqdn(zone) or not selectors.zone_exists(zone):
            raise NicError(404, f"Unknown domain: {zone}")
        hosts = hosts.filter(domain__name=zone)
    return {"hosts": [_host_json(host) for host in hosts]}


@nic_call(manage=True)
def nic_register(request: HttpRequest, caller: Caller) -> dict[str, Any]:
    label, zone_name = _target(request)
    zone = selectors.domains_usable_by(caller.user).filter(name=zone_name).first()
    if zone is None:
        raise NicError(404, f"Unknown domain: {zone_name}")
    addresses = _requested_address(request)  # checked before anything is created
    host, secret = services.host_register(
        domain=zone,
        label=label,
        owner=caller.user,
        comment=_param(request, "comment") or "",
        wildcard=_flag(request, "wildcard"),
    )
    if addresses:
        _publish_first(request, host, addresses)
    logger.info("%s registered %s through /nic", caller.user.get_username(), host.fqdn)
    host_json = _host_json(host) | {"update_secret": secret} | _update_urls(request, host, secret)
    return {"message": "Host registered.", "host": host_json}


def _publish_first(request: HttpRequest, host: Host, addresses: names.Addresses) -> None:
    """Publish the registered host's first address, or take the registration back: a
    client retrying after a DNS failure must not find its name taken by itself."""
    try:
        services.host_update_addresses(host=host, addresses=addresses, client=_client(request))
    except services.DnsFailure:
        services.host_delete(host=host)
        raise
    host.refresh_from_db()


@nic_call(manage=True)
def nic_unregister(request: HttpRequest, caller: Caller) -> dict[str, Any]:
    host = _own_host(request, caller)
    if host.abuse_blocked:
        # Deleting and registering again must not lift an operator's block.
        raise NicError(403, f"{host.fqdn} is blocked by the operators")
    answer = {
        "fqdn": host.fqdn,
        "name": host.label,
        "domain": host.domain.name,
        "wildcard": host.wildcard,
        "comment": host.comment,
    }
    services.host_delete(host=host)  # records out of DNS first, or left to the reconciler
    logger.info("%s unregistered %s through /nic", caller.user.get_username(), host.fqdn)
    return {"message": "Host unregistered.", "host": answer}


@nic_call(manage=True)
def nic_generate_secret(request: HttpRequest, caller: Caller) -> dict[str, Any]:
    host = _own_host(request, caller)
    return {"secret": services.host_reset_secret(host=host)}


# --- Parameters -------------------------------------------------------------------------


def _param(request: HttpRequest, name: str) -> str | None:
    value = request.GET.get(name)
    if value is None:
        return None
    if len(value) > 1024:
        raise NicError(400, f"Parameter too long: {name}")
    return value


def _target(request: HttpRequest) -> tuple[str, str]:
    """(label, zone) from `fqdn=` or from `name=` and `domain=`."""
    fqdn, name, zone = (_param(request, p) for p in ("fqdn", "name", "domain"))
    if fqdn is not None:
        label, zone = names.split_fqdn(fqdn)
    elif name is None and zone is None:
        raise NicError(400, "Missing parameter: fqdn or name, domain")
    elif name is None:
        raise NicError(400, "Missing parameter: name")
    elif zone is None:
        raise NicError(400, "Missing parameter: domain")
    else:
        label, zone = name.strip().lower(), names.normalize_name(zone)
    if not label or not zone or len(zone) > MAX_NAME_LENGTH or not names.is_fqdn(zone):
        raise NicError(400, "Not a fully qualified host name")
    return label, zone


def _own_host(request: HttpRequest, caller: Caller) -> Host:
    """The caller's host; another person's host looks exactly like a missing one."""
    label, zone = _target(request)
    fqdn = f"{label}.{zone}"
    # Checked before the query: PostgreSQL refuses a NUL in a string outright.
    host = (
        selectors.hosts_of(caller.user).filter(fqdn=fqdn).first() if names.is_fqdn(fqdn) else None
    )
    if host is None:
        raise NicError(404, f"Host not found: {label}.{zone}")
    return host


def _flag(request: HttpRequest, name: str) -> bool:
    value = _param(request, name)
    if value is None or value == "":
        return False
    try:
        return FLAGS[value.strip().lower()]
    except KeyError:
        raise NicError(400, f"Invalid value of {name}: use true or false") from None


def _requested_address(request: HttpRequest) -> names.Addresses | None:
    text = _param(request, "ip")
    if not text:
        return None
    address = names.Addresses.of(str(names.parse_address(text)))
    names.check_publishable(address, settings.DDNS_REJECTED_ADDRESS_KINDS)
    return address


def _client(request: HttpRequest) -> services.ClientInfo:
    user_agent = "".join(ch for ch in request.META.get("HTTP_USER_AGENT", "") if ch.isprintable())
    return services.ClientInfo(
        source=visitor_address(request),
        user_agent=user_agent[:255],
        tls=request.is_secure(),
    )


# --- Answers ----------------------------------------------------------------------------


def _zone_json(zone: Domain) -> dict[str, Any]:
    return {
        "name": zone.name,
        "public": zone.public,
        # Takes hosts now: enabled by the operators and its server answering.
        "available": zone.enabled and zone.available,
        "comment": "",
        "owner": zone.owner.get_username() if zone.owner else None,
    }


def _host_json(host: Host) -> dict[str, Any]:
    """A host as the EGI service lists it: stored state, no secret."""
    return {
        "fqdn": host.fqdn,
        "name": host.label,
        "domain": host.domain.name,
        "wildcard": host.wildcard,
        "comment": host.comment,
        "available": host.domain.enabled and not host.abuse_blocked,
        "client_faults": host.client_faults,
        "server_faults": host.server_faults,
        "abuse_blocked": host.abuse_blocked,
        "abuse": host.abuse,
        "last_update_ipv4": _iso(host.ipv4_updated_at),
        "tls_update_ipv4": host.ipv4_tls,
        "ipv4": host.ipv4,
        "last_update_ipv6": _iso(host.ipv6_updated_at),
        "tls_update_ipv6": host.ipv6_tls,
        "ipv6": host.ipv6,
    }


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment else None


def _update_urls(request: HttpRequest, host: Host, secret: str) -> dict[str, str]:
    """The update URLs the EGI service hands out: with the secret as Basic credentials,
    and with `${myip}` for a Bearer caller to fill in."""
    base = urlsplit(settings.DDNS_PUBLIC_URL or request.build_absolute_uri("/"))
    path = base.path.rstrip("/") + "/nic/update"
    servers = {"IPv4": settings.DDNS_IPV4_SERVICE_HOST or base.netloc}
    if settings.DDNS_IPV6_SERVICE_HOST:
        servers["IPv6"] = settings.DDNS_IPV6_SERVICE_HOST
    urls = {}
    for family, server in servers.items():
        urls[f"{family}_update_url_basic_auth"] = (
            f"{base.scheme}://{host.fqdn}:{secret}@{server}{path}"
        )
        urls[f"{family}_update_url_bearer_auth"] = (
            f"{base.scheme}://{server}{path}?hostname={host.fqdn}&myip=${{myip}}"
        )
    return urls


def _error_answer(request: HttpRequest, error: Exception) -> JsonResponse:
    status, message = _failure(error)
    logger.info("%s %s answered %d: %r", request.method, request.path, status, message)
    response = JsonResponse({"status": "error", "message": message}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="nic"'
    elif status == 429:
        response["Retry-After"] = str(getattr(error, "retry_after", None) or RETRY_AFTER_SECONDS)
    elif status == 503:
        response["Retry-After"] = RETRY_AFTER_SECONDS
    return response


def _failure(error: Exception) -> tuple[int, str]:
    """(HTTP status, message) for every refusal the calls can meet, in one place.
    Anything else is a bug and goes on as a 500 with its traceback in the log."""
    if isinstance(error, NicError):
        return error.status, error.message
    if isinstance(error, ValidationError):
        codes = {e.code for e in error.error_list} if hasattr(error, "error_list") else set()
        status = next((REFUSAL_STATUS[c] for c in codes if c in REFUSAL_STATUS), 400)
        return status, " ".join(error.messages)
    if isinstance(error, names.BadAddress):
        return 400, f"Invalid IP address: {error}"
    if isinstance(error, services.DnsFailure):
        return (503 if error.retryable else 502), f"The DNS server did not take the change: {error}"
    if isinstance(error, oidc.OidcUnavailable):
        return 503, "The identity provider cannot be reached; try again later"
    if isinstance(error, SuspiciousOperation | BadRequest | MultiPartParserError):
        return 400, "Malformed request"
    if isinstance(error, UnicodeError):
        return 400, "Malformed request"
    if isinstance(error, DatabaseError):
        logger.exception("database unavailable")
        return 503, "The service is unavailable; try again later"
    raise error
