"""Who is asking: the caller's address, as every page and endpoint must see it."""

from django.conf import settings
from django.http import HttpRequest

from domains import names


def visitor_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or X-Forwarded-For behind a trusted proxy; "" when unknown."""
    address = names.client_address(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR"),
        settings.DDNS_TRUSTED_PROXIES,
    )
    return address or ""
