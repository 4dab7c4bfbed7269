"""Database side of the soak (bench/soak.py), run in a child process with its environment.

    echo '{"zone": ..., "labels": [...], "groups": 4, ...}' | python -m bench.soak_dataset prepare

Creates the zone (pointed at the soak's named), one owner, one host per label, a read-only
API token for the REST and /nic JSON reads, and high-availability groups whose members
are the soak's probe servers, all through the services as the portal would. The groups'
schedules are left as created: Celery beat and a worker check them during the whole run.
"""

from bench.dataset import serve, zone_and_owner


def prepare(config: dict) -> dict:
    from django.db import transaction

    from accounts import tokens
    from bench.ha_dataset import _group
    from domains import services

    with transaction.atomic():  # one commit for the hosts
        domain, owner = zone_and_owner(config)
        hosts = []
        for label in config["labels"]:
            host, secret = services.host_register(domain=domain, label=label, owner=owner)
            hosts.append({"fqdn": host.fqdn, "secret": secret})
        _token, raw = tokens.token_create(owner=owner, name="soak reads", scope="read")
    groups = [_group(domain, owner, config, g) for g in range(config["groups"])]
    return {"hosts": hosts, "token": raw, "groups": groups}


if __name__ == "__main__":
    serve({"prepare": prepare})
