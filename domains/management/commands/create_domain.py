from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from domains import services
from domains.models import TSIG_ALGORITHMS


class Command(BaseCommand):
    help = "Add a zone the service may update on its primary name server."

    def add_arguments(self, parser):
        parser.add_argument("zone")
        parser.add_argument("--nameserver", required=True, help="HOST[:PORT] of the primary")
        parser.add_argument("--key-name", required=True)
        parser.add_argument(
            "--algorithm", default="hmac-sha256", choices=[a for a, _ in TSIG_ALGORITHMS]
        )
        parser.add_argument("--secret", required=True, help="TSIG secret, base64")
        parser.add_argument("--public", action="store_true", help="others may add hosts")
        parser.add_argument("--owner", help="username; empty for an operator-managed zone")
        parser.add_argument("--ttl", type=int)
        parser.add_argument(
            "--no-check",
            action="store_true",
            help="store the zone without the signed test write (server not reachable yet)",
        )

    def handle(self, *args, **options):
        host, port = parse_nameserver(options["nameserver"])
        owner = None
        if options["owner"]:
            owner = get_user_model().objects.filter(username=options["owner"]).first()
            if owner is None:
                raise CommandError(f"no user named {options['owner']!r}")
        try:
            domain = services.domain_add(
                name=options["zone"],
                nameserver_host=host,
                nameserver_port=port,
                tsig_key_name=options["key_name"],
                tsig_algorithm=options["algorithm"],
                tsig_secret=options["secret"],
                public=options["public"],
                owner=owner,
                ttl=options["ttl"],
                check=not options["no_check"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        except services.DnsFailure as error:
            raise CommandError(f"test write failed, zone not added: {error}") from None
        self.stdout.write(f"zone {domain.name} added (primary {host}:{port})")


def parse_nameserver(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or "]" in port or (host.count(":") > 0 and not host.startswith("[")):
        return value.strip("[]"), 53
    if not port.isdigit():
        raise CommandError(f"bad port in {value!r}")
    return host.strip("[]"), int(port)
