from django.core.management.base import BaseCommand, CommandError

from domains import dns, reconcile
from domains.models import Domain


class Command(BaseCommand):
    help = "Rewrite hosts whose published A/AAAA records differ from the database."

    def add_arguments(self, parser):
        parser.add_argument("zones", nargs="*", help="zone names; all enabled zones if none")

    def handle(self, *args, **options):
        domains = Domain.objects.filter(enabled=True)
        if options["zones"]:
            domains = domains.filter(name__in=options["zones"])
        failed = False
        for domain in domains:
            try:
                repairs = reconcile.domain_reconcile(domain=domain)
            except dns.DnsError as error:
                self.stderr.write(f"{domain.name}: {error}")
                failed = True
                continue
            for repair in repairs:
                self.stdout.write(f"{repair.fqdn}: repaired (found {repair.found})")
            self.stdout.write(f"{domain.name}: {len(repairs)} hosts repaired")
        if failed:
            raise CommandError("some zones could not be reconciled")
