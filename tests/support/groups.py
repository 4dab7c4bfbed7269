"""High-availability groups in tests: members on loopback, rounds run on demand."""

from django.utils import timezone

from devtools import named
from domains import services as domain_services
from failover import services
from failover.models import Group, Schedule
from tests.support.bind import Bind, unique_label
from tests.support.probe_servers import ProbeTarget

LOCATION = "default"


class Members:
    """Switchable HTTP servers on 127.0.0.21, .22, ... sharing one port, as a group's
    members share their check's port. Member i publishes 192.0.2.(21 + i)."""

    def __init__(self, count: int, cert=None) -> None:
        self.port = named.free_port()
        self.servers = [
            ProbeTarget(host=f"127.0.0.{21 + i}", port=self.port, cert=cert) for i in range(count)
        ]

    def published(self, i: int) -> str:
        return f"192.0.2.{21 + i}"

    def specs(self) -> list[services.MemberSpec]:
        return [
            services.MemberSpec(ipv4=self.published(i), check_target=server.host)
            for i, server in enumerate(self.servers)
        ]

    def answer(self, i: int, status: int, body: bytes = b"ok") -> None:
        self.servers[i].answer.status = status
        self.servers[i].answer.body = body

    def hits(self) -> int:
        return sum(len(server.seen) for server in self.servers)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def make_group(domain, owner, members: Members, **options) -> Group:
    host, _secret = domain_services.host_register(
        domain=domain, label=unique_label("ha"), owner=owner
    )
    settings = {"check_kind": "http", "check_port": members.port, "interval": 1, "timeout": 1.0}
    settings |= {"down_threshold": 2, "up_threshold": 1, "hold_down": 0}
    group, _secret = services.group_create(
        host=host, members=members.specs(), by=owner, **(settings | options)
    )
    return group


def check(times: int = 1, location: str = LOCATION) -> None:
    """Run `times` check rounds now, whatever the schedule says."""
    for _ in range(times):
        Schedule.objects.filter(location=location).update(next_due_at=timezone.now())
        services.location_check_round(location=location)


def served(bind: Bind, group: Group) -> list[str]:
    """What the name server answers for the generic name (A and AAAA)."""
    fqdn = group.host.fqdn
    return sorted(bind.lookup(fqdn, "A") + bind.lookup(fqdn, "AAAA"))
