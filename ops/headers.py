"""Security headers Django does not set itself: Content-Security-Policy,
Cross-Origin-Opener-Policy (set by SecurityMiddleware too; repeated here so it holds
whatever SECURE_CROSS_ORIGIN_OPENER_POLICY says) and Permissions-Policy.

The portal's pages load their script and style from /static/ only, so the policy allows
nothing inline. Pages under /api/ that are HTML (Swagger UI, ReDoc, DRF's browsable API)
come from third-party templates with inline scripts and styles; they get the same policy
with 'unsafe-inline' for script and style, and still nothing from another origin.
dyndns2's plain-text answers keep their bodies byte for byte: only headers are added.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# Pages whose templates we do not own and which inline their scripts and styles.
THIRD_PARTY_HTML_PREFIX = "/api/"


def _connect_sources() -> str:
    """'self', plus the IPv4-only and IPv6-only names the address page asks for /myip."""
    hosts = [settings.DDNS_IPV4_SERVICE_HOST, settings.DDNS_IPV6_SERVICE_HOST]
    return " ".join(["'self'", *(host for host in hosts if host)])


def content_security_policy(*, inline: bool = False) -> str:
    """The policy; `inline` allows inline script and style (third-party API pages)."""
    extra = " 'unsafe-inline'" if inline else ""
    directives = [
        "default-src 'self'",
        f"script-src 'self'{extra}",
        f"style-src 'self'{extra}",
        "img-src 'self' data:",
        f"connect-src {_connect_sources()}",
        # ReDoc renders in a worker it creates from a blob.
        "worker-src 'self' blob:" if inline else "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        # No form-action: logging in through an OpenID Connect provider posts a form here
        # that redirects to the provider, and browsers hold form-action to that redirect
        # too; providers are configured at run time (also in the admin).
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


class SecurityHeadersMiddleware:
    """Adds the headers to every response that does not already carry them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.strict = content_security_policy()
        self.relaxed = content_security_policy(inline=True)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        inline = request.path.startswith(THIRD_PARTY_HTML_PREFIX)
        response.headers.setdefault(
            "Content-Security-Policy", self.relaxed if inline else self.strict
        )
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        return response
