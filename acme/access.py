"""Who may change a host's challenge records: the host itself (its name and update
secret, as dyndns2 clients authenticate) or a personal API token that covers the host
and may write (sent as the password with the account's username, or as Bearer)."""

from dataclasses import dataclass

from accounts.tokens import TokenRejected, looks_like_token, token_authenticate, token_from_header
from domains import limits, services
from domains.models import Host
from domains.visitors import basic_credentials

MAX_CREDENTIAL_LENGTH = 1024


class Refused(Exception):
    """The credentials do not allow the change. `status`: 401 (who are you?) or 403, or
    429 when the caller's address failed too often (then `retry_after` seconds)."""

    def __init__(self, message: str, status: int = 401, retry_after: int | None = None) -> None:
        self.status = status
        self.retry_after = retry_after
        super().__init__(message)


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str  # a host secret or a personal API token


def from_authorization(header: str | None) -> Credentials | None:
    """Basic user:password, or a Bearer token (no username)."""
    if not header or len(header) > MAX_CREDENTIAL_LENGTH:
        return None
    bearer = token_from_header(header)
    if bearer:
        return Credentials(username="", password=bearer)
    pair = basic_credentials(header)
    return None if pair is None else Credentials(username=pair[0], password=pair[1])


def host_for(creds: Credentials | None, fqdn: str, *, source: str | None) -> Host:
    """The host named `fqdn`, when these credentials may change its challenge records.

    Wrong credentials count against the source address; past the limit its requests are
    refused (429) before any credential is checked (docs/abuse.md)."""
    wait = limits.source_refusal(source)
    if wait is not None:
        raise Refused("too many failed authentications from your address", 429, wait)
    if creds is None:
        raise Refused("credentials required")
    try:
        return _host_for(creds, fqdn, source)
    except Refused as refused:
        if refused.status == 401:
            limits.source_failed(source)
        raise


def _host_for(creds: Credentials, fqdn: str, source: str | None) -> Host:
    if len(creds.username) > MAX_CREDENTIAL_LENGTH or len(creds.password) > MAX_CREDENTIAL_LENGTH:
        raise Refused("invalid credentials")
    if looks_like_token(creds.password):
        return _by_token(creds, fqdn, source)
    host = services.host_authenticate(fqdn=creds.username, secret=creds.password)
    if host is None:
        raise Refused("invalid credentials")
    if host.fqdn != fqdn:
        raise Refused(f"these credentials do not cover {fqdn}", status=403)
    return host


def _by_token(creds: Credentials, fqdn: str, source: str | None) -> Host:
    try:
        token = token_authenticate(creds.password, source=source)
    except TokenRejected as rejected:
        raise Refused(str(rejected)) from None
    # The username is optional (Bearer); given, it must be the owner's or the host's name.
    if creds.username and creds.username not in (token.owner.get_username(), fqdn):
        raise Refused("the token belongs to another account")
    if not token.can_write():
        raise Refused("this token may only read", status=403)
    host = Host.objects.select_related("domain").filter(fqdn=fqdn).first()
    # An unknown name and a host of someone else look the same to the caller.
    if host is None or not token.covers_host(host):
        raise Refused(f"these credentials do not cover {fqdn}", status=403)
    return host
