"""Who is asking: the caller's address, as every page and endpoint must see it, and the
credentials of a Basic Authorization header, as every machine-client endpoint reads them."""

import base64
import binascii

from django.conf import settings
from django.http import HttpRequest

from domains import names


def visitor_address(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or X-Forwarded-For behind a trusted proxy; None when unknown."""
    return (
        names.client_address(
            request.META.get("REMOTE_ADDR", ""),
            request.META.get("HTTP_X_FORWARDED_FOR"),
            settings.DDNS_TRUSTED_PROXIES,
        )
        or None
    )


MAX_BASIC_LENGTH = 1024  # of the encoded part: longer is no credential we issued


def basic_credentials(header: str) -> tuple[str, str] | None:
    """User name and password of a Basic Authorization header; None when it is not one.
    The user name may be empty (a token alone, as the password); the password may not."""
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded or len(encoded) > MAX_BASIC_LENGTH:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # bad base64, non-ASCII input, or not UTF-8
        return None
    username, sep, password = decoded.partition(":")
    if not sep or not password:
        return None
    return username, password
