"""The dyndns2 protocol as pure functions: request parameters in, response lines out.

No database and no DNS here; see docs/protocol.md for the status code choices.
"""

import base64
import binascii
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

GOOD = "good"
NOCHG = "nochg"
BADAUTH = "badauth"
NOTFQDN = "notfqdn"
NOHOST = "nohost"
NUMHOST = "numhost"
ABUSE = "abuse"
BADAGENT = "badagent"
DNSERR = "dnserr"
SERVICE_PROBLEM = "911"
# A rejected address or malformed request is the client's fault, not the server's: same
# word as nsupdate.info (dnserr, which every client retries), but HTTP 400 so it shows.
BADREQUEST = "badrequest"
DELETED = "deleted"

HTTP_STATUS = {
    GOOD: 200,
    NOCHG: 200,
    DELETED: 200,
    BADAUTH: 401,
    NOTFQDN: 200,
    NOHOST: 200,
    NUMHOST: 200,
    ABUSE: 200,
    BADAGENT: 200,
    DNSERR: 200,
    BADREQUEST: 400,
    SERVICE_PROBLEM: 503,
}

MAX_PARAMETER_LENGTH = 1024
LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
PLACEHOLDER = re.compile(r"^<[^>]*>$")  # e.g. Fritz!Box sends "<ip6addr>" when it has none

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class BadAddress(ValueError):
    """The request names an address that cannot be published; the message says why."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


@dataclass(frozen=True)
class Addresses:
    ipv4: str | None = None
    ipv6: str | None = None

    def __bool__(self) -> bool:
        return bool(self.ipv4 or self.ipv6)

    def text(self) -> str:
        return ",".join(a for a in (self.ipv4, self.ipv6) if a)


@dataclass(frozen=True)
class Line:
    code: str
    detail: str = ""

    def render(self) -> str:
        word = DNSERR if self.code == BADREQUEST else self.code
        return f"{word} {self.detail}" if self.detail else word


def credentials(authorization: str | None, query: Mapping[str, str]) -> Credentials | None:
    """Basic auth header first (also what URL userinfo becomes), then query parameters."""
    if authorization:
        return _basic_credentials(authorization)
    username, password = query.get("username"), query.get("password")
    if username and password:
        return Credentials(username, password)
    return None


def _basic_credentials(header: str) -> Credentials | None:
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded or len(encoded) > MAX_PARAMETER_LENGTH:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # bad base64, non-ASCII input, or not UTF-8
        return None
    username, sep, password = decoded.partition(":")
    if not sep or not username or not password:
        return None
    return Credentials(username, password)


def normalize_name(name: str) -> str:
    return name.strip().rstrip(".").lower()


def is_fqdn(name: str) -> bool:
    if not name or len(name) > 253 or not name.isascii():
        return False
    labels = name.split(".")
    return len(labels) >= 2 and all(LABEL.match(label) for label in labels)


def hostnames(raw: str | None, default: str) -> list[str]:
    """The requested names in request order; the username when none is given."""
    if not raw:
        return [normalize_name(default)]
    return [normalize_name(name) for name in raw.split(",") if name.strip()] or [
        normalize_name(default)
    ]


def parse_address(text: str) -> Address:
    """One address as clients send it: optional /len suffix, IPv4-mapped IPv6 becomes IPv4."""
    value = text.strip()
    if len(value) > 64:
        raise BadAddress("address is too long")
    value = value.split("/", 1)[0].strip("[]")
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise BadAddress(f"{value!r} is not an IP address") from None
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            raise BadAddress(f"{value!r} has a zone index, which only means something locally")
        if address.ipv4_mapped:
            return address.ipv4_mapped
    return address


def requested_addresses(query: Mapping[str, str], client: str | None) -> Addresses:
    """Addresses from myip (v4, v6 or both), myipv4 and myipv6; the client's when none."""
    values = []
    for key in ("myip", "myipv4", "myipv6"):
        raw = query.get(key) or ""
        if len(raw) > MAX_PARAMETER_LENGTH:
            raise BadAddress(f"{key} is too long")
        values += [v for v in raw.split(",") if v.strip() and not PLACEHOLDER.match(v.strip())]
    if not values:
        if not client:
            raise BadAddress("no address given and the client address is unknown")
        values = [client]
    return _by_family(parse_address(v) for v in values)


def _by_family(addresses: Iterable[Address]) -> Addresses:
    found: dict[int, str] = {}
    for address in addresses:
        previous = found.setdefault(address.version, str(address))
        if previous != str(address):
            raise BadAddress(f"two different IPv{address.version} addresses given")
    return Addresses(ipv4=found.get(4), ipv6=found.get(6))


def check_publishable(addresses: Addresses, rejected_kinds: Iterable[str]) -> None:
    """Refuse addresses that must never be published (loopback, multicast, ...)."""
    for text in (addresses.ipv4, addresses.ipv6):
        if text is None:
            continue
        address = ipaddress.ip_address(text)
        for kind in rejected_kinds:
            if getattr(address, kind, False):
                kind_name = kind.removeprefix("is_").replace("_", "-")
                raise BadAddress(f"{text} is a {kind_name} address and cannot be published")


def client_address(
    remote_addr: str, forwarded_for: str | None, trusted_proxies: Iterable[str]
) -> str | None:
    """REMOTE_ADDR, or the nearest untrusted hop of X-Forwarded-For behind trusted proxies."""
    networks = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]
    try:
        remote = parse_address(remote_addr)
    except BadAddress:
        return None
    if not forwarded_for or not _trusted(remote, networks):
        return str(remote)
    for hop in reversed(forwarded_for.split(",")[:32]):
        try:
            address = parse_address(hop)
        except BadAddress:
            return None  # a garbled header from behind a trusted proxy: do not guess
        if not _trusted(address, networks):
            return str(address)
    return str(remote)


def _trusted(address: Address, networks: list) -> bool:
    return any(address in network for network in networks)


def http_status(lines: list[Line]) -> int:
    """200 when any host succeeded (clients read each line), else the first line's status."""
    if any(line.code in (GOOD, NOCHG, DELETED) for line in lines):
        return 200
    return HTTP_STATUS[lines[0].code]


def render(lines: list[Line]) -> str:
    return "".join(line.render() + "\n" for line in lines)
