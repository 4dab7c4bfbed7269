"""Database side of the benchmark, run in a child process with the bench's environment.

The parent talks to several databases in turn, and Django settings are fixed per process,
so every database step runs here: `prepare` (zone, owner, hosts) and `state` (what the
database believes is published). Input and output are JSON on stdin and stdout.
"""

import json
import sys

import django


def prepare(config: dict) -> dict:
    """Create the zone pointed at the bench's named and one host per label; return secrets."""
    from django.db import transaction

    from domains import services

    with transaction.atomic():  # one commit: 1,000 fsyncs would dominate the setup time
        domain, owner = zone_and_owner(config)
        hosts = []
        for label in config["labels"]:
            host, secret = services.host_register(domain=domain, label=label, owner=owner)
            hosts.append({"fqdn": host.fqdn, "secret": secret})
    return {"hosts": hosts}


def zone_and_owner(config: dict) -> tuple:
    """The bench's zone, pointed at the bench's named, and the one user owning it all."""
    from django.contrib.auth import get_user_model

    from domains import services

    domain = services.domain_add(
        name=config["zone"],
        nameserver_host="127.0.0.1",
        nameserver_port=config["named_port"],
        tsig_key_name=config["key_name"],
        tsig_secret=config["tsig_secret"],
        public=True,
    )
    owner = get_user_model().objects.create_user("bench", "bench@example.org")
    return domain, owner


def state(config: dict) -> dict:
    """Published addresses and history size as the database records them, and how many
    batches wrote the history of the hosts other than `steady` (a batch's rows share one
    timestamp, its commit's)."""
    from domains.models import Host, UpdateEvent

    addresses = dict(Host.objects.filter(ipv4__isnull=False).values_list("fqdn", "ipv4"))
    changes = UpdateEvent.objects.exclude(host__fqdn=config.get("steady", "")).filter(result="good")
    return {
        "ipv4": addresses,
        "events": UpdateEvent.objects.count(),
        "changes": changes.count(),
        "batches": changes.values("created_at").distinct().count(),
    }


def serve(commands: dict) -> None:
    """Run the command named by the first argument: JSON in on stdin, JSON out on stdout."""
    command = commands[sys.argv[1]]
    django.setup()
    json.dump(command(json.load(sys.stdin)), sys.stdout)


if __name__ == "__main__":
    serve({"prepare": prepare, "state": state})
