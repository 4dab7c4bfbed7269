from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from domains import names, services
from domains.models import Domain


class Command(BaseCommand):
    help = "Register a host; prints its update secret as the last line."

    def add_arguments(self, parser):
        parser.add_argument("fqdn")
        parser.add_argument("--owner", required=True, help="username")
        parser.add_argument("--comment", default="")

    def handle(self, *args, **options):
        owner = get_user_model().objects.filter(username=options["owner"]).first()
        if owner is None:
            raise CommandError(f"no user named {options['owner']!r}")
        label, domain = split_fqdn(options["fqdn"])
        try:
            host, secret = services.host_register(
                domain=domain,
                label=label,
                owner=owner,
                comment=options["comment"],
                by_operator=True,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(f"host {host.fqdn} created for {owner}; its secret (shown once):")
        self.stdout.write(secret)


def split_fqdn(fqdn: str) -> tuple[str, Domain]:
    """The first label and the zone that holds the rest."""
    label, zone = names.split_fqdn(fqdn)
    domain = Domain.objects.filter(name=zone).first()
    if domain is None:
        raise CommandError(f"no zone {zone!r} is managed here")
    return label, domain
