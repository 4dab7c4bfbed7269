from django.core.management.base import BaseCommand, CommandError

from domains import names, services
from domains.models import Host


class Command(BaseCommand):
    help = "Give a host a new update secret (the old one stops working); prints it last."

    def add_arguments(self, parser):
        parser.add_argument("fqdn")

    def handle(self, *args, **options):
        fqdn = names.normalize_name(options["fqdn"])
        host = Host.objects.filter(fqdn=fqdn).first()
        if host is None:
            raise CommandError(f"no host {fqdn!r}")
        secret = services.host_reset_secret(host=host)
        self.stdout.write(f"new secret for {host.fqdn} (shown once):")
        self.stdout.write(secret)
