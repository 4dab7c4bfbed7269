"""The only module that speaks DNS: RFC 2136 updates signed with TSIG, and queries.

Functions take plain values and raise DnsError subclasses; callers never see dnspython.
"""

import ipaddress
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update
import dns.xfr
import dns.zone

from domains import metrics

ALGORITHMS = {
    "hmac-sha256": dns.tsig.HMAC_SHA256,
    "hmac-sha512": dns.tsig.HMAC_SHA512,
    "hmac-sha384": dns.tsig.HMAC_SHA384,
    "hmac-sha224": dns.tsig.HMAC_SHA224,
    "hmac-sha1": dns.tsig.HMAC_SHA1,
    "hmac-md5": dns.tsig.HMAC_MD5,
}


class DnsError(Exception):
    """The name server did not apply a change. `retryable`: the same request may succeed later."""

    retryable = True
    reason = "DNS server error"

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        super().__init__(f"{self.reason}: {detail}" if detail else self.reason)


class DnsTimeout(DnsError):
    reason = "DNS server did not answer in time"


class DnsUnreachable(DnsError):
    reason = "DNS server unreachable"


class DnsRefused(DnsError):
    retryable = False
    reason = "DNS server refused the update"


class DnsBadKey(DnsError):
    retryable = False
    reason = "DNS server rejected the TSIG key"


class DnsKeyUnusable(DnsError):
    retryable = False
    reason = "the zone's TSIG key cannot be used"


class DnsBadTime(DnsError):
    reason = "DNS server rejected the TSIG time (clock skew)"


class DnsNotAuthoritative(DnsError):
    retryable = False
    reason = "DNS server is not authoritative for the zone"


class DnsServerFailure(DnsError):
    reason = "DNS server failed"


@dataclass(frozen=True)
class Server:
    """Where and how to send updates for one zone."""

    zone: str
    host: str
    port: int
    key_name: str
    algorithm: str
    secret: str
    timeout: float = 3.0


# Each name adds five deletions (A, AAAA at the name and its wildcard, the challenge TXT)
# of about 20 bytes each with name compression; 200 names stay well inside one UDP
# message (BIND accepts up to 64 KiB).
NAMES_PER_MESSAGE = 200

RCODE_ERRORS = {
    dns.rcode.REFUSED: DnsRefused,
    dns.rcode.NOTAUTH: DnsNotAuthoritative,
    dns.rcode.NOTZONE: DnsNotAuthoritative,
    dns.rcode.BADKEY: DnsBadKey,
    dns.rcode.BADSIG: DnsBadKey,
    dns.rcode.BADTIME: DnsBadTime,
}


CHALLENGE_LABEL = "_acme-challenge"


def wildcard_name(fqdn: str) -> str:
    """The name a wildcard host also answers for: every name below it."""
    return f"*.{fqdn}"


def challenge_name(fqdn: str) -> str:
    """Where ACME DNS-01 looks for a name's TXT records (RFC 8555 section 8.4); the same
    name serves a certificate for the name and for its wildcard."""
    return f"{CHALLENGE_LABEL}.{fqdn}"


class AddressChange(NamedTuple):
    """One host's change: each given record type ("A"/"AAAA") set to one address, or
    deleted when None; with `wildcard`, the same change at "*.fqdn"."""

    fqdn: str
    addresses: Mapping[str, str | None]
    wildcard: bool = False

    @property
    def names(self) -> int:
        return 2 if self.wildcard else 1


# A change writes at most two names (the host and its wildcard) with two record types
# each, so a full message of changes stays within NAMES_PER_MESSAGE names.
CHANGES_PER_MESSAGE = NAMES_PER_MESSAGE // 2


def replace_addresses(
    server: Server,
    fqdn: str,
    addresses: Mapping[str, str | None],
    ttl: int,
    *,
    wildcard: bool = False,
) -> None:
    """Set each given record type ("A"/"AAAA") to one address, or delete it when None;
    with `wildcard`, the same change at "*.fqdn", in the same message."""
    replace_many(server, [AddressChange(fqdn, addresses, wildcard)], ttl)


def replace_many(server: Server, changes: Sequence[AddressChange], ttl: int) -> None:
    """Several hosts' changes in one message, which the server applies whole or not at
    all (RFC 2136 section 3.7): callers may answer every change alike."""
    if sum(change.names for change in changes) > NAMES_PER_MESSAGE:
        raise ValueError(f"more than {NAMES_PER_MESSAGE} names in one update message")
    update = _new_update(server)
    for change in changes:
        _add_replacements(update, server.zone, change, ttl)
    _send(server, update)


def _add_replacements(
    update: dns.update.UpdateMessage, zone: str, change: AddressChange, ttl: int
) -> None:
    targets = [change.fqdn, wildcard_name(change.fqdn)] if change.wildcard else [change.fqdn]
    for target in targets:
        name = _relative(target, zone)
        for rdtype, address in change.addresses.items():
            if address is None:
                update.delete(name, rdtype)
            else:
                update.replace(name, ttl, rdtype, address)


def replace_address_sets(
    server: Server,
    fqdn: str,
    addresses: Mapping[str, Sequence[str]],
    ttl: int,
    *,
    wildcard: bool = False,
) -> None:
    """Set each given record type ("A"/"AAAA") to exactly these addresses (none: delete),
    in one message, so resolvers never see a half-changed set. "*.fqdn" gets the same
    sets when `wildcard`, and loses those record types otherwise."""
    update = _new_update(server)
    name = _relative(fqdn, server.zone)
    star = _relative(wildcard_name(fqdn), server.zone)
    for rdtype, values in addresses.items():
        update.delete(name, rdtype)
        update.delete(star, rdtype)
        for address in values:
            update.add(name, ttl, rdtype, address)
            if wildcard:
                update.add(star, ttl, rdtype, address)
    _send(server, update)


def replace_txt(server: Server, fqdn: str, values: Sequence[str], ttl: int) -> None:
    """Set the TXT records at a name to exactly these strings (none: delete them)."""
    update = _new_update(server)
    name = _relative(fqdn, server.zone)
    update.delete(name, "TXT")
    for value in values:
        update.add(name, ttl, "TXT", _txt(value))
    _send(server, update)


def delete_names(server: Server, fqdns: list[str]) -> None:
    """Remove every record the service may have published for these hosts: A and AAAA at
    the name and at its wildcard, and the ACME challenge TXT records. Anything else at the
    name is the zone owner's and stays."""
    for start in range(0, len(fqdns), NAMES_PER_MESSAGE):
        update = _new_update(server)
        for fqdn in fqdns[start : start + NAMES_PER_MESSAGE]:
            for target in (fqdn, wildcard_name(fqdn)):
                name = _relative(target, server.zone)
                for rdtype in ("A", "AAAA"):
                    update.delete(name, rdtype)
            update.delete(_relative(challenge_name(fqdn), server.zone), "TXT")
        _send(server, update)


def read_addresses(server: Server) -> dict[str, dict[str, set[str]]]:
    """Every A, AAAA and TXT record in the zone, by zone transfer (AXFR) signed with its
    key, by lower-case name; TXT records as their text (strings joined, unquoted)."""
    keyring = _keyring(server)
    where = f"{server.host}:{server.port}"
    try:
        zone = dns.zone.from_xfr(
            dns.query.xfr(
                _address(server.host),
                server.zone,
                port=server.port,
                keyring=keyring,
                keyname=dns.name.from_text(server.key_name),
                keyalgorithm=ALGORITHMS[server.algorithm],
                timeout=server.timeout,
                lifetime=server.timeout * 10,
                relativize=False,
            ),
            relativize=False,
        )
    except dns.exception.Timeout:
        raise DnsTimeout(f"zone transfer from {where} timed out") from None
    except dns.xfr.TransferError as exc:
        raise DnsRefused(f"zone transfer from {where} refused ({exc})") from None
    except dns.exception.DNSException as exc:
        raise DnsServerFailure(f"zone transfer from {where} failed ({exc})") from None
    except OSError as exc:
        raise DnsUnreachable(f"{where}: {exc.strerror or exc}") from None
    records: dict[str, dict[str, set[str]]] = {}
    for rdtype in ("A", "AAAA", "TXT"):
        for name, _ttl, rdata in zone.iterate_rdatas(rdtype):
            fqdn = name.to_text(omit_final_dot=True).lower()
            text = _txt_text(rdata) if rdtype == "TXT" else rdata.to_text()
            records.setdefault(fqdn, {"A": set(), "AAAA": set(), "TXT": set()})[rdtype].add(text)
    return records


def _txt(value: str) -> str:
    """A TXT record's presentation form; callers pass printable ASCII without quotes."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _txt_text(rdata) -> str:
    return b"".join(rdata.strings).decode("ascii", "replace")


def check_connectivity(server: Server, probe_value: str) -> None:
    """Prove the key may write the zone: add a TXT record, read it back, remove it."""
    name = f"_ddns-check.{server.zone}"
    relative = _relative(name, server.zone)
    update = _new_update(server)
    update.replace(relative, 1, "TXT", f'"{probe_value}"')
    _send(server, update)
    try:
        if probe_value not in lookup(server, name, "TXT"):
            raise DnsNotAuthoritative(
                f"{server.host}:{server.port} accepted the update but does not serve it back"
            )
    finally:
        cleanup = _new_update(server)
        cleanup.delete(relative, "TXT")
        _send(server, cleanup)


def lookup(server: Server, fqdn: str, rdtype: str) -> list[str]:
    """Ask the server directly (no cache) for the records of one type at a name."""
    # EDNS, so a large record set (several challenge values) is not truncated at 512 bytes.
    query = dns.message.make_query(fqdn, rdtype, use_edns=0, payload=4096)
    response = _exchange(server, query)
    wanted = dns.rdatatype.from_text(rdtype)
    return sorted(
        _txt_text(rdata) if wanted == dns.rdatatype.TXT else rdata.to_text()
        for rrset in response.answer
        if rrset.rdtype == wanted
        for rdata in rrset
    )


def negative_ttl(server: Server) -> int:
    """Seconds resolvers cache an empty answer in the zone (RFC 2308: the lesser of the
    SOA record's TTL and its minimum field)."""
    response = _exchange(server, dns.message.make_query(server.zone, "SOA"))
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            return min(rrset.ttl, next(iter(rrset)).minimum)
    raise DnsNotAuthoritative(f"{server.host}:{server.port} has no SOA for {server.zone}")


def soa_serial(server: Server) -> int:
    """The serial of the zone's SOA as the server answers it now (an unsigned query)."""
    response = _exchange(server, dns.message.make_query(server.zone, "SOA"))
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            return int(next(iter(rrset)).serial)
    raise DnsNotAuthoritative(f"{server.host}:{server.port} has no SOA for {server.zone}")


def name_exists(server: Server, fqdn: str) -> bool:
    """False when the server answers NXDOMAIN: no record of any type at the name."""
    response = _exchange(server, dns.message.make_query(fqdn, "A"))
    return response.rcode() != dns.rcode.NXDOMAIN


def _keyring(server: Server) -> dict:
    try:
        return dns.tsigkeyring.from_text({server.key_name: server.secret})
    except (ValueError, dns.exception.DNSException) as exc:
        raise DnsKeyUnusable(f"the stored TSIG secret is not valid base64 ({exc})") from None


def _new_update(server: Server) -> dns.update.UpdateMessage:
    return dns.update.UpdateMessage(
        server.zone,
        keyring=_keyring(server),
        keyname=dns.name.from_text(server.key_name),
        keyalgorithm=ALGORITHMS[server.algorithm],
    )


def _relative(fqdn: str, zone: str) -> dns.name.Name:
    return dns.name.from_text(fqdn).relativize(dns.name.from_text(zone))


def _send(server: Server, update: dns.update.UpdateMessage) -> None:
    with metrics.dns_update_timer(server.zone):
        response = _exchange(server, update)
        rcode = response.rcode()
        if rcode != dns.rcode.NOERROR:
            error = RCODE_ERRORS.get(rcode, DnsServerFailure)
            raise error(f"{dns.rcode.to_text(rcode)} from {server.host}:{server.port}")


def _exchange(server: Server, message: dns.message.Message) -> dns.message.Message:
    where = f"{server.host}:{server.port}"
    try:
        address = _address(server.host)
        # A connected socket hears "port unreachable", so a stopped server fails at once
        # instead of after the whole timeout.
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            sock.connect((address, server.port))
            return dns.query.udp(
                message,
                address,
                port=server.port,
                timeout=server.timeout,
                ignore_unexpected=True,
                sock=sock,
            )
    except dns.exception.Timeout:
        raise DnsTimeout(f"no answer from {where} within {server.timeout:g} s") from None
    except dns.tsig.PeerBadKey:
        raise DnsBadKey(f"{where} does not know key {server.key_name}") from None
    except dns.tsig.PeerBadSignature:
        raise DnsBadKey(f"{where} says the signature with key {server.key_name} is wrong") from None
    except (dns.tsig.PeerBadTime, dns.tsig.BadTime):
        raise DnsBadTime(f"{where} and this host disagree on the time") from None
    except (dns.tsig.BadSignature, dns.message.UnknownTSIGKey) as exc:
        raise DnsBadKey(f"answer from {where} failed TSIG verification ({exc})") from None
    except dns.exception.DNSException as exc:
        raise DnsServerFailure(f"bad answer from {where} ({exc})") from None
    except OSError as exc:
        raise DnsUnreachable(f"{where}: {exc.strerror or exc}") from None


def _address(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        return str(socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM)[0][4][0])
    except OSError as exc:
        raise DnsUnreachable(f"cannot resolve name server {host}: {exc}") from None
