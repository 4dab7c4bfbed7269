"""The dyndns2 endpoints' use case: authenticate, check, and call the services per host.

Views hand in plain request values; this returns the protocol lines to send back.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

from domains import crypto, names, services
from domains.models import Host
from dyndns2 import protocol
from dyndns2.protocol import Line

HOT_FIELDS = (
    "fqdn",
    "secret_digest",
    "ipv4",
    "ipv6",
    "abuse",
    "abuse_blocked",
    "last_seen_at",
    "published_set",
    "domain",
    "domain__enabled",
)


@dataclass(frozen=True)
class NicRequest:
    query: dict[str, str]
    authorization: str | None
    client: str | None  # the caller's address, already past any trusted proxies
    user_agent: str
    tls: bool

    def client_info(self) -> services.ClientInfo:
        return services.ClientInfo(source=self.client, user_agent=self.user_agent, tls=self.tls)


def update(request: NicRequest) -> list[Line]:
    host, refusal = _authorize(request)
    if refusal:
        return refusal
    assert host is not None  # _authorize refuses whenever it has no host
    hostnames = protocol.hostnames(request.query.get("hostname"), host.fqdn)
    if len(hostnames) > settings.DDNS_MAX_HOSTS_PER_REQUEST:
        return [Line(protocol.NUMHOST)]
    return [_update_one(host, name, request) for name in hostnames]


def delete(request: NicRequest) -> list[Line]:
    """Remove the A or AAAA record: the family of myip (0.0.0.0 or ::), else the client's."""
    host, refusal = _authorize(request)
    if refusal:
        return refusal
    assert host is not None  # _authorize refuses whenever it has no host
    try:
        addresses = protocol.requested_addresses(request.query, request.client)
    except names.BadAddress as exc:
        return [_client_fault(host, str(exc))]
    rdtypes = [rdtype for rdtype, address in addresses.by_rdtype().items() if address]
    lines = []
    for rdtype in rdtypes:
        try:
            services.host_delete_address(host=host, rdtype=rdtype, client=request.client_info())
        except services.DnsFailure:
            lines.append(Line(protocol.DNSERR))
        else:
            lines.append(Line(protocol.DELETED, rdtype))
    return lines


def _authorize(request: NicRequest) -> tuple[Host | None, list[Line] | None]:
    creds = protocol.credentials(request.authorization, request.query)
    if creds is None:
        return None, [Line(protocol.BADAUTH)]
    if _blocked_agent(request.user_agent):
        return None, [Line(protocol.BADAGENT)]
    host = authenticate(creds)
    if host is None:
        return None, [Line(protocol.BADAUTH)]
    if host.abuse or host.abuse_blocked:
        return None, [Line(protocol.ABUSE)]
    if not host.domain.enabled:
        # A zone disabled by an operator behaves as if its hosts did not exist.
        return None, [Line(protocol.NOHOST)]
    if host.managed:
        # A high-availability group decides this name's records; an update would fight it.
        services.host_record_client_fault(
            host_id=host.pk, message="updates refused: a high-availability group manages it"
        )
        return None, [Line(protocol.NOHOST)]
    return host, None


def authenticate(creds: protocol.Credentials) -> Host | None:
    """One indexed query and a constant-time digest compare; failures are counted."""
    username = names.normalize_name(creds.username)
    if not names.is_fqdn(username):
        return None
    # Only the columns the protocol needs (building the SQL for all of them costs more
    # than running it), and no ORDER BY, which .first() would add: fqdn is unique.
    rows = Host.objects.select_related("domain").only(*HOT_FIELDS).filter(fqdn=username)
    host = next(iter(rows.order_by()[:1]), None)
    if host is None:
        return None
    if not crypto.secret_matches(creds.password, host.secret_digest):
        services.host_record_auth_fault(host_id=host.pk, message="wrong secret")
        return None
    return host


def _update_one(host: Host, name: str, request: NicRequest) -> Line:
    if not names.is_fqdn(name):
        return Line(protocol.NOTFQDN)
    if name != host.fqdn:
        return Line(protocol.NOHOST)
    try:
        addresses = protocol.requested_addresses(request.query, request.client)
        names.check_publishable(addresses, settings.DDNS_REJECTED_ADDRESS_KINDS)
    except names.BadAddress as exc:
        return _client_fault(host, str(exc))
    try:
        changed = services.host_update_addresses(
            host=host, addresses=addresses, client=request.client_info()
        )
    except services.DnsFailure:
        return Line(protocol.DNSERR)
    return Line(protocol.GOOD if changed else protocol.NOCHG, addresses.text())


def _client_fault(host: Host, message: str) -> Line:
    services.host_record_client_fault(host_id=host.pk, message=message)
    return Line(protocol.BADREQUEST)


def _blocked_agent(user_agent: str) -> bool:
    return any(pattern.search(user_agent) for pattern in _agent_patterns())


@lru_cache(maxsize=1)
def _agent_patterns() -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p) for p in settings.DDNS_BLOCKED_USER_AGENTS)
