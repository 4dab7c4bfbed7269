"""Which addresses a user may have the service reach (checks, webhooks): not the
operator's internal network, unless an operator allowed it."""

import ipaddress
import socket

from django.conf import settings
from django.contrib.auth.models import User

# What a user who is not staff may not have probed (DDNS_HA_PRIVATE_TARGETS lifts it).
INTERNAL_KINDS = ("is_private", "is_loopback", "is_link_local", "is_reserved", "is_unspecified")


def target_refusal(target: str, owner: User | None) -> str | None:
    """Why this owner may not have `target` probed, or None (operators, given as None,
    may probe anything). Names are checked when they are resolved, at check time
    (failover.services.rounds)."""
    if owner is None or owner.is_staff or settings.DDNS_HA_PRIVATE_TARGETS:
        return None
    try:
        address = ipaddress.ip_address(target)
    except ValueError:
        return None
    for kind in INTERNAL_KINDS:
        if getattr(address, kind):
            return f"{target} is an internal address: only operators may have it checked"
    return None


def resolves_internal(name: str) -> bool:
    """Whether a name (or address) leads to an internal address now; unresolvable names
    do not (the caller's request fails on its own)."""
    try:
        found = {str(info[4][0]) for info in socket.getaddrinfo(name, None)}
    except OSError:
        return False
    return any(
        getattr(ipaddress.ip_address(address.split("%")[0]), kind)
        for address in found
        for kind in INTERNAL_KINDS
    )
