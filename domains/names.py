"""Names and addresses: syntax, normalisation, parsing and the record-type mapping.

Pure functions, written once, used by every entry point (dyndns2, portal, admin,
commands) and by the services that decide.
"""

import base64
import binascii
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError

LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
ZONE_RE = re.compile(r"^(?=.{1,253}$)((?!-)[a-z0-9-]{1,63}(?<!-)\.)*(?!-)[a-z0-9-]{1,63}(?<!-)$")
# A name server is given as a host name or an address (IPv6 with colons).
SERVER_RE = re.compile(r"^[A-Za-z0-9.:-]{1,253}$")
MAX_ADDRESS_LENGTH = 64

# The one place that says which host column holds which record type.
RDTYPE_FIELDS = {"A": "ipv4", "AAAA": "ipv6"}

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class BadAddress(ValueError):
    """An address that cannot be published; the message says why."""


# --- Names ------------------------------------------------------------------------------


def normalize_name(name: str) -> str:
    return name.strip().rstrip(".").lower()


def is_fqdn(name: str) -> bool:
    """At least two valid labels, at most 253 characters, ASCII only."""
    if not name or len(name) > 253 or not name.isascii():
        return False
    labels = name.split(".")
    return len(labels) >= 2 and all(LABEL_RE.match(label) for label in labels)


def clean_label(label: str) -> str:
    """The label in canonical form, or ValidationError saying what is wrong with it."""
    label = label.strip().lower()
    if not LABEL_RE.match(label):
        raise ValidationError(
            "a host name must be 1-63 letters, digits or hyphens, not starting or ending "
            "with a hyphen"
        )
    return label


def clean_zone_name(name: str) -> str:
    name = normalize_name(name)
    if not ZONE_RE.match(name):
        raise ValidationError(f"{name!r} is not a valid zone name")
    return name


def clean_key_name(name: str) -> str:
    """A TSIG key name looks like a domain name; BIND writes it with a final dot."""
    key = name.strip().lower()
    if not ZONE_RE.match(key.rstrip(".")):
        raise ValidationError("a key name looks like a domain name, e.g. ddns-key.")
    return key


def clean_server(host: str) -> str:
    host = host.strip()
    if not SERVER_RE.match(host):
        raise ValidationError("give the name server as a host name or an IP address")
    return host


def clean_tsig_secret(secret: str) -> str:
    secret = secret.strip()
    try:
        if not base64.b64decode(secret, validate=True):
            raise ValueError
    except (binascii.Error, ValueError):
        raise ValidationError("the TSIG secret must be base64, as tsig-keygen prints it") from None
    return secret


def split_fqdn(fqdn: str) -> tuple[str, str]:
    """(first label, rest): the host's label and the zone it would live in."""
    label, _, zone = normalize_name(fqdn).partition(".")
    return label, zone


# --- Addresses --------------------------------------------------------------------------


@dataclass(frozen=True)
class Addresses:
    """At most one address per family: what a host publishes."""

    ipv4: str | None = None
    ipv6: str | None = None

    def __bool__(self) -> bool:
        return bool(self.ipv4 or self.ipv6)

    def text(self) -> str:
        return ",".join(a for a in (self.ipv4, self.ipv6) if a)

    def by_rdtype(self) -> dict[str, str | None]:
        return {rdtype: getattr(self, field) for rdtype, field in RDTYPE_FIELDS.items()}

    @classmethod
    def of(cls, address: str) -> "Addresses":
        """One address in the field of its family."""
        return cls(**{field_of(rdtype_of(address)): address})


def field_of(rdtype: str) -> str:
    return RDTYPE_FIELDS[rdtype]


def rdtype_of(address: str) -> str:
    return "AAAA" if ipaddress.ip_address(address).version == 6 else "A"


def parse_address(text: str) -> Address:
    """One address as clients send it: optional /len suffix, IPv4-mapped IPv6 becomes IPv4."""
    value = text.strip()
    if len(value) > MAX_ADDRESS_LENGTH:
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


def by_family(addresses: Iterable[Address]) -> Addresses:
    """One address per family; two different ones of the same family are refused."""
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


def address_within(text: str | None, networks: Iterable) -> bool:
    """Whether an address (IPv4-mapped IPv6 read as IPv4) lies in one of the networks;
    False for no address or a malformed one."""
    if not text:
        return False
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in networks)
