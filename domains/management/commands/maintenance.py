from django.core.management.base import BaseCommand, CommandParser

from domains import services


class Command(BaseCommand):
    help = (
        "Run the scheduled maintenance once: stale hosts (remind, disable, delete), zone "
        "health, history and session retention. --dry-run reports without changing anything."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would be done; change nothing"
        )

    def handle(self, *args, **options) -> None:
        dry_run: bool = options["dry_run"]
        would = "would be " if dry_run else ""
        report = services.stale_hosts_process(dry_run=dry_run)
        for stage, fqdns in vars(report).items():
            if stage == "failed":
                continue
            for fqdn in fqdns:
                self.stdout.write(f"{fqdn}: {would}{stage}")
        for fqdn in report.failed:
            self.stderr.write(f"{fqdn}: not disabled, the zone's server did not answer")
        for health in services.zones_check_health(dry_run=dry_run):
            told = f" ({health.told} e-mail sent)" if health.told else ""
            state = "answers" if health.ok else "FAILING"
            self.stdout.write(f"zone {health.zone}: {state}, {health.detail}{told}")
        history = services.history_prune(dry_run=dry_run)
        sessions = services.sessions_prune(dry_run=dry_run)
        self.stdout.write(f"history rows {would}removed: {history}")
        self.stdout.write(f"expired sessions {would}removed: {sessions}")
