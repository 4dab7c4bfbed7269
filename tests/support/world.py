"""One owner's objects on every interface, for access-control tests: a private zone with
a host, a second host, a high-availability group and an API token, all alice's."""

from dataclasses import dataclass

from accounts import tokens
from accounts.models import ApiToken
from domains import services
from domains.models import Domain, Host
from failover.models import Group
from tests.support.bind import Bind, make_domain, unique_label
from tests.support.groups import Members, make_group


@dataclass
class World:
    zone: Domain
    host: Host
    secret: str
    other_host: Host  # also the owner's; a token of scope hosts may name only this one
    group: Group
    token: ApiToken

    def ids(self) -> dict[str, int | str]:
        return {
            "host": self.host.pk,
            "zone": self.zone.pk,
            "group": self.group.pk,
            "token": self.token.pk,
            "fqdn": self.host.fqdn,
        }


def build_world(bind: Bind, owner, members: Members) -> World:
    """A private zone of the owner's own, served by the test named, and what lives in it."""
    zone = make_domain(bind, owner=owner, public=False)
    host, secret = services.host_register(domain=zone, label=unique_label(), owner=owner)
    other, _secret = services.host_register(domain=zone, label=unique_label(), owner=owner)
    group = make_group(zone, owner, members)
    token, _raw = tokens.token_create(owner=owner, name="listed")
    return World(zone, host, secret, other, group, token)
