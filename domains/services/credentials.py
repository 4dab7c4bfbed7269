"""Who a machine client is: a host by its name and update secret.

Shared by every interface a host's own client speaks (dyndns2, ACME): one indexed query
and a constant-time digest compare; wrong secrets are counted on the host.
"""

from domains import crypto, names
from domains.models import Host
from domains.services.faults import host_record_auth_fault


def host_authenticate(*, fqdn: str, secret: str) -> Host | None:
    """The host with this name and secret, with its zone; None otherwise."""
    name = names.normalize_name(fqdn)
    if not names.is_fqdn(name) or not secret:
        return None
    # No ORDER BY (which .first() would add): fqdn is unique.
    host = next(iter(Host.objects.select_related("domain").filter(fqdn=name)[:1]), None)
    if host is None:
        return None
    if not crypto.secret_matches(secret, host.secret_digest):
        host_record_auth_fault(host_id=host.pk, message="wrong secret")
        return None
    return host
