"""ACME DNS-01 endpoints in the dialects existing clients speak.

- lego's `httpreq` provider (also used by Traefik and Caddy through lego):
  POST /acme/httpreq/present and /acme/httpreq/cleanup, Basic auth,
  {"fqdn": "_acme-challenge.<host>.", "value": "<digest>"} (or RAW mode's
  {"domain", "token", "keyAuth"}). Any status >= 400 is an error to lego.
- acme-dns: POST /acme-dns/update with X-Api-User / X-Api-Key and
  {"subdomain": "<host>", "txt": "<digest>"}; answers as acme-dns does.

Views parse and answer; the host and the change are decided by acme.access and the
domains services. See docs/acme.md.
"""

import base64
import hashlib
import json
import logging
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from acme import access
from domains import services
from domains.visitors import visitor_address

logger = logging.getLogger(__name__)

# A challenge request is well under 1 KiB; more is not a client speaking this protocol.
MAX_BODY_BYTES = 4096


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        self.status = status
        super().__init__(message)


# Every failure a request can meet, each answered with its status (never a 500).
ANSWERED = (access.Refused, BadRequest, ValidationError, services.DnsFailure, DatabaseError)


@csrf_exempt
@require_POST
def httpreq_present(request: HttpRequest) -> JsonResponse:
    return _httpreq(request, services.acme_txt_add)


@csrf_exempt
@require_POST
def httpreq_cleanup(request: HttpRequest) -> JsonResponse:
    return _httpreq(request, services.acme_txt_remove)


def _httpreq(request: HttpRequest, change: Callable[..., None]) -> JsonResponse:
    try:
        fqdn, value = _httpreq_record(_json_body(request))
        creds = access.from_authorization(request.META.get("HTTP_AUTHORIZATION"))
        host = access.host_for(creds, fqdn, source=visitor_address(request))
        change(host=host, value=value, client=_client(request))
    except ANSWERED as error:
        return _error(error, request)
    return JsonResponse({"fqdn": f"_acme-challenge.{fqdn}.", "value": value})


def _httpreq_record(body: dict) -> tuple[str, str]:
    """(host name, value) from default mode's fqdn/value or RAW mode's domain/keyAuth."""
    if "keyAuth" in body:
        domain, key_auth = body.get("domain"), body.get("keyAuth")
        if not isinstance(domain, str) or not isinstance(key_auth, str):
            raise BadRequest("RAW mode needs the strings domain and keyAuth")
        digest = hashlib.sha256(key_auth.encode()).digest()
        value = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        return _host_of(domain.removeprefix("*.")), value
    name, digest_text = body.get("fqdn"), body.get("value")
    if not isinstance(name, str) or not isinstance(digest_text, str):
        raise BadRequest('the body must be {"fqdn": "_acme-challenge.<host>.", "value": "..."}')
    return services.acme_challenge_host(name), services.acme_clean_value(digest_text)


def _host_of(domain: str) -> str:
    return services.acme_challenge_host(f"_acme-challenge.{domain}")


@csrf_exempt
@require_POST
def acmedns_update(request: HttpRequest) -> JsonResponse:
    """acme-dns's update: the host's two most recent values are kept (host + wildcard)."""
    try:
        body = _json_body(request)
        subdomain, txt = body.get("subdomain"), body.get("txt")
        if not isinstance(subdomain, str) or not isinstance(txt, str):
            raise BadRequest("bad_subdomain")
        fqdn = _acmedns_host(subdomain)
        creds = access.Credentials(
            username=request.headers.get("X-Api-User", ""),
            password=request.headers.get("X-Api-Key", ""),
        )
        if not creds.password:
            raise access.Refused("forbidden")
        host = access.host_for(creds, fqdn, source=visitor_address(request))
        services.acme_txt_rotate(host=host, value=txt, keep=2, client=_client(request))
    except ANSWERED as error:
        return _error(error, request, acmedns=True)
    return JsonResponse({"txt": txt})


def _acmedns_host(subdomain: str) -> str:
    """The subdomain is the host's name; "_acme-challenge.<host>" is taken too."""
    name = subdomain.strip().rstrip(".").lower()
    if not name.startswith("_acme-challenge."):
        name = f"_acme-challenge.{name}"
    try:
        return services.acme_challenge_host(name)
    except ValidationError:
        raise BadRequest("bad_subdomain") from None


def _json_body(request: HttpRequest) -> dict:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        raise BadRequest(f"the body may have at most {MAX_BODY_BYTES} bytes", status=413)
    raw = request.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequest(f"the body may have at most {MAX_BODY_BYTES} bytes", status=413)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _client(request: HttpRequest) -> services.ClientInfo:
    agent = request.META.get("HTTP_USER_AGENT", "")
    return services.ClientInfo(
        source=visitor_address(request),
        user_agent="".join(ch for ch in agent if ch.isprintable())[:255],
        tls=request.is_secure(),
    )


def _error(error: BaseException, request: HttpRequest, *, acmedns: bool = False) -> JsonResponse:
    """Every failure worded once per dialect: acme-dns's short codes, else a sentence."""
    status, message, code = _classify(error)
    if status >= 500:
        logger.warning("ACME request to %s failed: %s", request.path, error)
    if acmedns:
        # acme-dns answers 401 "forbidden" for every credential or subdomain mismatch.
        refused = isinstance(error, access.Refused) and status != 429
        status, message = (401 if refused else status), code
    response = JsonResponse({"error": message}, status=status)
    if status == 401 and not acmedns:
        response["WWW-Authenticate"] = 'Basic realm="ACME DNS-01", charset="UTF-8"'
    elif status == 429 and isinstance(error, access.Refused):
        response["Retry-After"] = str(error.retry_after or 60)
    elif status == 503:
        response["Retry-After"] = "30"
    return response


def _classify(error: BaseException) -> tuple[int, str, str]:
    """(status, message, acme-dns code) for a failure."""
    if isinstance(error, access.Refused):
        return error.status, str(error), "too_many_requests" if error.status == 429 else "forbidden"
    if isinstance(error, BadRequest):
        return error.status, str(error), "bad_subdomain" if error.status == 400 else "bad_request"
    if isinstance(error, ValidationError):
        code = "bad_txt" if error.code == "value" else "bad_subdomain"
        status = 403 if error.code in ("abuse", "zone") else 400
        return status, " ".join(error.messages), code
    if isinstance(error, services.DnsFailure):
        return (503 if error.retryable else 502), f"the DNS server failed: {error}", "dns_error"
    logger.exception("database unavailable while answering an ACME request")
    return 503, "the service is unavailable, try again later", "db_error"
