from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import FULL, HOSTS, SCOPES
from accounts.tokens import token_create
from domains import names
from domains.models import Host


class Command(BaseCommand):
    help = "Create a personal API token; prints the token as the last line."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--scope",
            choices=[scope for scope, _label in SCOPES],
            help="default: hosts when --host is given, else full",
        )
        parser.add_argument(
            "--host", action="extend", nargs="+", default=[], metavar="FQDN", dest="hosts"
        )
        parser.add_argument("--expires", type=int, metavar="DAYS", help="default: never")
        parser.add_argument("--network", action="extend", nargs="+", default=[], dest="networks")

    def handle(self, *args, **options):
        owner = get_user_model().objects.filter(username=options["username"]).first()
        if owner is None:
            raise CommandError(f"no user named {options['username']!r}")
        hosts = [_host(fqdn) for fqdn in options["hosts"]]
        try:
            token, raw = token_create(
                owner=owner,
                name=options["name"],
                scope=options["scope"] or (HOSTS if hosts else FULL),
                hosts=hosts,
                expires_days=options["expires"],
                networks=options["networks"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(f"token {token.name!r} ({token.scope}) created for {owner}; shown once:")
        self.stdout.write(raw)


def _host(fqdn: str) -> Host:
    host = Host.objects.filter(fqdn=names.normalize_name(fqdn)).first()
    if host is None:
        raise CommandError(f"no host {fqdn} is managed here")
    return host
