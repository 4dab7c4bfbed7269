"""What every service shares: who sent a change, how to reach a zone, the DNS failure."""

from dataclasses import dataclass

from django.conf import settings

from domains import crypto, dns
from domains.models import Domain


@dataclass(frozen=True)
class ClientInfo:
    """Who sent an update: recorded per address family and in the history."""

    source: str | None
    user_agent: str
    tls: bool


class DnsFailure(Exception):
    """The zone's name server did not take a change; nothing was stored.

    The services' translation of domains.dns errors, so callers never import the DNS
    client. `retryable`: the same request may succeed later.
    """

    def __init__(self, error: dns.DnsError) -> None:
        self.retryable = error.retryable
        super().__init__(str(error))


def dns_server(domain: Domain) -> dns.Server:
    """Where and with which key to write the zone; a key that cannot be decrypted is a
    DNS failure of the zone (the name server cannot be reached without it)."""
    try:
        secret = domain.tsig_secret
    except crypto.SecretUnreadable:
        raise dns.DnsKeyUnusable(
            f"the stored TSIG secret of {domain.name} cannot be decrypted with "
            "DDNS_ENCRYPTION_KEY (changed without manage.py rotate_encryption_key?)"
        ) from None
    return dns.Server(
        zone=domain.name,
        host=domain.nameserver_host,
        port=domain.nameserver_port,
        key_name=domain.tsig_key_name,
        algorithm=domain.tsig_algorithm,
        secret=secret,
        timeout=settings.DDNS_DNS_TIMEOUT,
    )
