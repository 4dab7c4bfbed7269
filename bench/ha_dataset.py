"""Database side of the HA benchmarks, run in a child process with the bench's environment.

    echo '{"zone": ..., "groups": 500, ...}' | .venv/bin/python -m bench.ha_dataset prepare

`prepare` creates the zone (pointed at the bench's named), one owner and the groups
through failover.services, exactly as the portal would, so each group's first answer is
published in BIND. Every schedule is then parked far in the future: the bench decides
when checks start (bench/ha.py). JSON in on stdin, JSON out on stdout.
"""

from bench.dataset import serve, zone_and_owner

PARKED_YEARS = 10  # "never" for the duration of a run


def member_target(index: int) -> str:
    """Member `index`'s loopback check target: 127.10.0.1, ..., 127.10.0.250, 127.10.1.1."""
    return f"127.10.{index // 250}.{index % 250 + 1}"


def member_published(index: int) -> str:
    """What member `index` publishes (any publishable address: it is never contacted)."""
    return f"10.20.{index // 250}.{index % 250 + 1}"


def prepare(config: dict) -> dict:
    domain, owner = zone_and_owner(config)
    groups = [_group(domain, owner, config, g) for g in range(config["groups"])]
    _park_schedules()
    return {"groups": groups}


def _group(domain, owner, config: dict, g: int) -> dict:
    from domains import services as domain_services
    from failover import services

    host, _ = domain_services.host_register(domain=domain, label=f"ha{g:04d}", owner=owner)
    indexes = [g * config["members"] + m for m in range(config["members"])]
    specs = [
        services.MemberSpec(ipv4=member_published(i), check_target=member_target(i))
        for i in indexes
    ]
    # by=None: an operator's group, whose check targets may be loopback addresses.
    group, _ = services.group_create(host=host, members=specs, by=None, **config["check"])
    members = group.members.order_by("priority").values_list("pk", "check_target", "ipv4")
    return {
        "id": group.pk,
        "fqdn": host.fqdn,
        "members": [{"id": pk, "target": t, "published": a} for pk, t, a in members],
    }


def _park_schedules() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from failover.models import Schedule

    Schedule.objects.update(next_due_at=timezone.now() + timedelta(days=365 * PARKED_YEARS))


if __name__ == "__main__":
    serve({"prepare": prepare})
