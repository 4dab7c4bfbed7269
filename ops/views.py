"""Operators' endpoints: /healthz for load balancers and monitors, /metrics for Prometheus."""

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_http_methods

from domains import names
from domains.visitors import visitor_address
from ops import exposition
from ops.health import DOWN, health


@require_http_methods(["GET", "HEAD"])
def healthz(request: HttpRequest) -> HttpResponse:
    answer = health()
    response = JsonResponse(answer, status=503 if answer["status"] == DOWN else 200)
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET"])
def metrics(request: HttpRequest) -> HttpResponse:
    refusal = _metrics_refusal(request)
    if refusal is not None:
        return refusal
    response = HttpResponse(exposition.metrics_text(), content_type=exposition.CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response


def _metrics_refusal(request: HttpRequest) -> HttpResponse | None:
    """Metrics show traffic and zone names: only allowed networks, and the token if set."""
    if not _allowed_address(visitor_address(request)):
        return _plain("metrics are not served to this address\n", 403)
    token = settings.DDNS_METRICS_TOKEN
    if token and not _bears(request, token):
        response = _plain("a valid metrics token is required\n", 401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return None


def _allowed_address(address: str | None) -> bool:
    return names.address_within(address, _networks())


def _networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    # A mistyped entry allows nothing (the ops.E001 system check names it).
    networks = []
    for text in settings.DDNS_METRICS_ALLOWED_NETWORKS:
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            continue
    return networks


def _bears(request: HttpRequest, token: str) -> bool:
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode(), token.encode()
    )


def _plain(body: str, status: int) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")
