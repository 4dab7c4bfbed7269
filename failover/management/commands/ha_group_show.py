from django.core.management.base import BaseCommand, CommandError

from domains import names
from failover import selectors


class Command(BaseCommand):
    help = "A group's members, their states and last results, and the published answer."

    def add_arguments(self, parser):
        parser.add_argument("generic_fqdn")

    def handle(self, *args, **options):
        group = selectors.group_by_fqdn(names.normalize_name(options["generic_fqdn"]))
        if group is None:
            raise CommandError(f"no group for {options['generic_fqdn']!r}")
        answer = group.answer or {}
        published = ", ".join(answer.get("addresses", [])) or "nothing yet"
        self.stdout.write(f"{group.host.fqdn}  {group.mode}  check {selectors.check_text(group)}")
        self.stdout.write(f"answer: {published}  ({answer.get('reason', '')})")
        if group.pending:
            self.stdout.write("pending: the name server has not taken the latest answer yet")
        for row in selectors.member_rows(group):
            self.stdout.write(
                f"  {row['priority']:>3}  {row['name']:<40} {row['state']:<12} "
                f"{'published' if row['published'] else '':<10} {row['last']}"
            )
