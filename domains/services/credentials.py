"""Who a machine client is: a host by its name and update secret.

Shared by every interface a host's own client speaks (dyndns2, ACME): one indexed query
and a constant-time digest compare; wrong secrets are counted on the host.
"""

from collections.abc import Sequence

from domains import crypto, names
from domains.models import Host
from domains.services.faults import host_record_auth_fault


def host_authenticate(*, fqdn: str, secret: str, fields: Sequence[str] = ()) -> Host | None:
    """The host with this name and secret, with its zone; None otherwise.

    `fields`: load only these columns of the host (a hot path's choice: building the SQL
    for all of them costs more than running it).
    """
    name = names.normalize_name(fqdn)
    if not names.is_fqdn(name) or not secret:
        return None
    rows = Host.objects.select_related("domain").filter(fqdn=name)
    if fields:
        rows = rows.only(*fields)
    # No ORDER BY (the model's default ordering would add one): fqdn is unique.
    host = next(iter(rows.order_by()[:1]), None)
    if host is None:
        return None
    if not crypto.secret_matches(secret, host.secret_digest):
        host_record_auth_fault(host_id=host.pk, message="wrong secret")
        return None
    return host
