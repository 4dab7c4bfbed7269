from django.core.management.base import BaseCommand

from domains import services


class Command(BaseCommand):
    help = "Delete update history older than DDNS_HISTORY_RETENTION_DAYS."

    def handle(self, *args, **options):
        removed = services.history_prune()
        self.stdout.write(f"removed {removed} history rows")
