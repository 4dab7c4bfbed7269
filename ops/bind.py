"""The BIND configuration this service needs: a hidden primary it updates, secondaries
that follow it by NOTIFY and IXFR.

Pure functions from plain values to named.conf text, used by `manage.py bind_config`,
the local BIND of development and tests (devtools/named.py) and the deployment tests.
Every value is checked before it is written, so nothing given on a command line can
break out of its quotes into the configuration.
"""

import base64
import binascii
import ipaddress
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from domains import names

ALGORITHMS = ("hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha224", "hmac-sha1", "hmac-md5")


class BadBindValue(ValueError):
    """A value that cannot go into named.conf; the message says which and why."""


@dataclass(frozen=True)
class TsigKey:
    name: str
    secret: str
    algorithm: str = "hmac-sha256"

    def __post_init__(self) -> None:
        if not names.ZONE_RE.match(self.name.lower().rstrip(".")):
            raise BadBindValue(f"key name {self.name!r} must look like a domain name")
        if self.algorithm not in ALGORITHMS:
            raise BadBindValue(f"algorithm {self.algorithm!r} is not one of {ALGORITHMS}")
        try:
            if not base64.b64decode(self.secret, validate=True):
                raise ValueError
        except (binascii.Error, ValueError):
            raise BadBindValue(f"the secret of key {self.name} is not base64") from None


@dataclass(frozen=True)
class Peer:
    """A name server's address: BIND takes addresses here, never host names."""

    address: str
    port: int = 53

    def __post_init__(self) -> None:
        try:
            ipaddress.ip_address(self.address)
        except ValueError:
            raise BadBindValue(f"{self.address!r} is not an IP address") from None
        if not 1 <= self.port <= 65535:
            raise BadBindValue(f"port {self.port} is not between 1 and 65535")

    @classmethod
    def parse(cls, text: str, default_port: int = 53) -> "Peer":
        """ADDRESS, ADDRESS:PORT, [IPv6] or [IPv6]:PORT."""
        text = text.strip()
        if text.startswith("["):
            address, _, rest = text[1:].partition("]")
            port = rest.removeprefix(":") or str(default_port)
        elif text.count(":") == 1:
            address, port = text.split(":")
        else:
            address, port = text, str(default_port)
        if not port.isdigit():
            raise BadBindValue(f"port {port!r} in {text!r} is not a number")
        return cls(address, int(port))

    def text(self) -> str:
        return f"{self.address} port {self.port}"


def zone_name(name: str) -> str:
    zone = names.normalize_name(name)
    if not names.ZONE_RE.match(zone):
        raise BadBindValue(f"{name!r} is not a valid zone name")
    return zone


def options_block(directory: Path, listen: Peer) -> str:
    """A self-contained options block: every file named writes stays in directory."""
    family = "listen-on-v6" if ipaddress.ip_address(listen.address).version == 6 else "listen-on"
    other = "listen-on" if family == "listen-on-v6" else "listen-on-v6"
    return f"""options {{
    directory "{_path(directory)}";
    pid-file "{_path(directory)}/named.pid";
    session-keyfile "{_path(directory)}/session.key";
    managed-keys-directory "{_path(directory)}";
    {family} port {listen.port} {{ {listen.address}; }};
    {other} {{ none; }};
    recursion no;
    dnssec-validation no;
}};
controls {{ }};
"""


def key_statement(key: TsigKey) -> str:
    return f'key "{key.name}" {{ algorithm {key.algorithm}; secret "{key.secret}"; }};\n'


def primary_zone(
    zone: str,
    *,
    update_key: TsigKey | None,
    transfer_keys: Sequence[TsigKey] = (),
    secondaries: Sequence[Peer] = (),
) -> str:
    """The zone the service writes: only update_key may change it (no key: nobody may),
    only the listed keys may transfer it, and every secondary hears of each change."""
    zone = zone_name(zone)
    if update_key:
        updates = f'update-policy {{ grant "{update_key.name}" zonesub ANY; }};'
    else:
        updates = "allow-update { none; };"
    # The service's own key reads the zone back for drift repair (AXFR).
    readers = [key.name for key in ([update_key] if update_key else []) + list(transfer_keys)]
    transfer = " ".join(f'key "{name}";' for name in dict.fromkeys(readers)) or "none;"
    lines = [
        "type primary;",
        f'file "{zone}.zone";',
        updates,
        f"allow-transfer {{ {transfer} }};",
    ]
    if secondaries:
        notify_list = " ".join(f"{peer.text()};" for peer in secondaries)
        # Each change is announced at once (BIND's default holds NOTIFYs back 5 s after
        # the last). A burst does not cost a transfer per change: a NOTIFY heard during a
        # transfer makes the secondary fetch once more afterwards, and IXFR sends only
        # the difference.
        lines += [
            "notify yes;",
            "notify-delay 0;",
            f"also-notify {{ {notify_list} }};",
            "ixfr-from-differences yes;",
        ]
    else:
        lines.append("notify no;")
    return _zone_statement(zone, lines)


def secondary_zone(zone: str, *, primaries: Sequence[Peer], transfer_key: TsigKey) -> str:
    """A copy that follows the primary. It takes no updates: a dynamic update sent here
    is REFUSED (secondary zones never apply updates, and forwarding them is off)."""
    zone = zone_name(zone)
    if not primaries:
        raise BadBindValue(f"the secondary zone {zone} needs at least one primary")
    sources = " ".join(f'{peer.text()} key "{transfer_key.name}";' for peer in primaries)
    return _zone_statement(
        zone,
        [
            "type secondary;",
            f'file "{zone}.secondary";',
            "masterfile-format text;",
            f"primaries {{ {sources} }};",
            "allow-update-forwarding { none; };",
            "allow-transfer { none; };",
        ],
    )


def primary_config(
    zones: Sequence[str],
    *,
    update_key: TsigKey,
    transfer_key: TsigKey | None = None,
    secondaries: Sequence[Peer] = (),
) -> str:
    """Keys and zones of a primary, ready to include from named.conf."""
    transfer_keys = [transfer_key] if transfer_key else []
    blocks = [key_statement(key) for key in [update_key, *transfer_keys]]
    blocks += [
        primary_zone(
            zone, update_key=update_key, transfer_keys=transfer_keys, secondaries=secondaries
        )
        for zone in zones
    ]
    return "\n".join(blocks)


def secondary_config(
    zones: Sequence[str], *, transfer_key: TsigKey, primaries: Sequence[Peer]
) -> str:
    """The transfer key and the secondary zones; the service's update key is not here."""
    blocks = [key_statement(transfer_key)]
    blocks += [
        secondary_zone(zone, primaries=primaries, transfer_key=transfer_key) for zone in zones
    ]
    return "\n".join(blocks)


def zone_file(zone: str, nameserver_address: str = "127.0.0.1") -> str:
    """A first zone file for a new primary zone: SOA and one name server. BIND owns the
    file (and its journal) from its first start on."""
    zone = zone_name(zone)
    address = Peer(nameserver_address).address
    record = "AAAA" if ipaddress.ip_address(address).version == 6 else "A"
    return f"""$TTL 60
@   IN SOA ns.{zone}. hostmaster.{zone}. 1 3600 600 86400 60
@   IN NS  ns.{zone}.
ns  IN {record:<4} {address}
"""


def _zone_statement(zone: str, lines: list[str]) -> str:
    body = "\n".join(f"    {line}" for line in lines)
    return f'zone "{zone}" {{\n{body}\n}};\n'


def _path(directory: Path) -> str:
    text = str(directory)
    if '"' in text or "\n" in text:
        raise BadBindValue(f"directory {text!r} may not contain quotes or newlines")
    return text


def secret_from_file(path: Path, *, create: bool = False) -> str:
    """The base64 secret kept in path; with create, a new random one is made first if the
    file is missing (mode 0600; when two processes race, both use the winner's)."""
    if create and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = base64.b64encode(secrets.token_bytes(32)).decode()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secret + "\n")
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        raise BadBindValue(f"no key file {path} (--create-keys makes one)") from None
