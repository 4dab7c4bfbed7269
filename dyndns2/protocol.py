"""The dyndns2 protocol as pure functions: request parameters in, response lines out.

No database and no DNS here; see docs/protocol.md for the status code choices.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from domains.names import Addresses, BadAddress, by_family, normalize_name, parse_address
from domains.visitors import basic_credentials

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
PLACEHOLDER = re.compile(r"^<[^>]*>$")  # e.g. Fritz!Box sends "<ip6addr>" when it has none


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


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
    pair = basic_credentials(header)
    if pair is None or not pair[0]:  # dyndns2 names the host or the account
        return None
    return Credentials(*pair)


def hostnames(raw: str | None, default: str) -> list[str]:
    """The requested names in request order; the username when none is given."""
    if not raw:
        return [normalize_name(default)]
    return [normalize_name(name) for name in raw.split(",") if name.strip()] or [
        normalize_name(default)
    ]


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
    return by_family(parse_address(v) for v in values)


def http_status(lines: list[Line]) -> int:
    """200 when any host succeeded (clients read each line), else the first line's status."""
    if any(line.code in (GOOD, NOCHG, DELETED) for line in lines):
        return 200
    return HTTP_STATUS[lines[0].code]


def render(lines: list[Line]) -> str:
    return "".join(line.render() + "\n" for line in lines)
