from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from domains import names
from domains.models import Host
from domains.services import DnsFailure
from failover import services

DEFAULT_PORTS = {"http": 80, "https": 443, "vault": 8200}


class Command(BaseCommand):
    help = (
        "Make a registered host a generic name that follows the healthy members of a group. "
        "Members are given in priority order; a registered host's name makes a host member."
    )

    def add_arguments(self, parser):
        parser.add_argument("generic_fqdn")
        parser.add_argument("--check", required=True, choices=["http", "https", "tcp", "vault"])
        parser.add_argument("--port", type=int, help="default: 80, 443, 8200 (tcp: required)")
        parser.add_argument("--path", help="default: / (vault: /v1/sys/health)")
        parser.add_argument("--interval", type=int, default=10, help="seconds, 1-3600")
        parser.add_argument("--down", type=int, default=3, help="failures before down")
        parser.add_argument("--up", type=int, default=2, help="successes before up")
        parser.add_argument("--timeout", type=float, default=2.0)
        parser.add_argument("--mode", choices=["failover", "all-healthy"], default="failover")
        parser.add_argument("--no-failback", action="store_true")
        parser.add_argument("--hold-down", type=int, default=60, help="seconds")
        parser.add_argument("--all-down", choices=["keep", "all", "none"], default="keep")
        parser.add_argument("--codes", help="healthy status codes, e.g. 200,204 or 200-399")
        parser.add_argument("--vault-policy", choices=["unsealed", "active"], default="unsealed")
        parser.add_argument("--no-verify", action="store_true", help="do not verify TLS")
        parser.add_argument("--sni", default="", help="TLS server name when probing addresses")
        parser.add_argument("--ttl", type=int, default=30)
        parser.add_argument(
            "--member",
            action="append",
            required=True,
            metavar="ADDRESS_OR_HOST[=CHECK_TARGET]",
            help="repeat for each member, best first",
        )

    def handle(self, *args, **options):
        host = Host.objects.filter(fqdn=names.normalize_name(options["generic_fqdn"])).first()
        if host is None:
            raise CommandError(f"no host {options['generic_fqdn']!r}: create_host it first")
        try:
            members = [services.parse_member(text) for text in options["member"]]
            group, secret = services.group_create(
                host=host, members=members, by=None, **_group_options(options)
            )
            group.refresh_from_db()
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        except DnsFailure as error:
            raise CommandError(f"the first answer was not published: {error}") from None
        published = ", ".join((group.answer or {}).get("addresses", [])) or "nothing"
        self.stdout.write(f"group {host.fqdn} created with {len(members)} members")
        self.stdout.write(f"publishing {published}")
        self.stdout.write(f"webhook secret (shown once): {secret}")


def _group_options(options: dict) -> dict:
    kind = options["check"]
    if kind == "tcp" and not options["port"]:
        raise CommandError("a tcp check needs --port")
    path = options["path"] or ("/v1/sys/health" if kind == "vault" else "/")
    values = {
        "check_kind": kind,
        "check_port": options["port"] or DEFAULT_PORTS[kind],
        "check_path": path,
        "interval": options["interval"],
        "down_threshold": options["down"],
        "up_threshold": options["up"],
        "timeout": options["timeout"],
        "mode": options["mode"],
        "failback": not options["no_failback"],
        "hold_down": options["hold_down"],
        "all_down": options["all_down"],
        "vault_policy": options["vault_policy"],
        "tls_verify": not options["no_verify"],
        "sni": options["sni"],
        "ttl": options["ttl"],
    }
    if kind == "vault":
        values["check_method"] = "HEAD"
    if options["codes"]:
        values["expected_codes"] = options["codes"]
    return values
