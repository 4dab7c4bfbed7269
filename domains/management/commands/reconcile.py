import json

from django.core.management.base import BaseCommand, CommandError

from domains import dns, reconcile
from domains.models import Domain


class Command(BaseCommand):
    help = (
        "Make each zone's records of the service match the database: rewrite drifted hosts "
        "and remove names the service no longer wants. --dry-run only reports the plan."
    )

    def add_arguments(self, parser):
        parser.add_argument("zones", nargs="*", help="zone names; all enabled zones if none")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="report what would be rewritten, removed and left alone; change nothing",
        )
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args, **options):
        domains = Domain.objects.filter(enabled=True)
        if options["zones"]:
            domains = domains.filter(name__in=options["zones"])
            missing = set(options["zones"]) - set(domains.values_list("name", flat=True))
            if missing:
                raise CommandError(f"no enabled zone named {', '.join(sorted(missing))}")
        run = self._plan if options["dry_run"] else self._repair
        reports = [run(domain) for domain in domains]
        if options["json"]:
            differences = sum(report.get("differences", 0) for report in reports)
            summary = {"dry_run": options["dry_run"], "differences": differences}
            self.stdout.write(json.dumps(summary | {"zones": reports}, indent=2))
        else:
            for report in reports:
                self._write_text(report, options["dry_run"])
        if any(report["error"] for report in reports):
            raise CommandError("some zones could not be reconciled")

    def _plan(self, domain: Domain) -> dict:
        try:
            plan = reconcile.zone_plan(domain=domain)
        except dns.DnsError as error:
            return {"zone": domain.name, "error": str(error)}
        return {
            "zone": plan.zone,
            "error": None,
            "differences": plan.differences,
            "rewrite": [_repair(repair) for repair in plan.rewrite],
            "remove": [_repair(repair) for repair in plan.remove],
            "foreign": [
                {"name": item.fqdn, "records": _sorted(item.records)} for item in plan.foreign
            ],
        }

    def _repair(self, domain: Domain) -> dict:
        try:
            repairs = reconcile.domain_reconcile(domain=domain)
        except dns.DnsError as error:
            return {"zone": domain.name, "error": str(error)}
        rewritten = [_repair(repair) for repair in repairs if repair.wanted]
        removed = [_repair(repair) for repair in repairs if not repair.wanted]
        return {"zone": domain.name, "error": None, "rewrite": rewritten, "remove": removed}

    def _write_text(self, report: dict, dry_run: bool) -> None:
        zone = report["zone"]
        if report["error"]:
            self.stderr.write(f"{zone}: {report['error']}")
            return
        verb = ("would rewrite", "would remove") if dry_run else ("rewrote", "removed")
        for item in report["rewrite"]:
            self.stdout.write(
                f"{zone}: {verb[0]} {item['name']}: "
                f"found {_text(item['found'])}, wanted {_text(item['wanted'])}"
            )
        for item in report["remove"]:
            self.stdout.write(
                f"{zone}: {verb[1]} {item['name']} ({item['reason']}): {_text(item['found'])}"
            )
        for item in report.get("foreign", []):
            self.stdout.write(f"{zone}: leaves alone {item['name']}: {_text(item['records'])}")
        changes = len(report["rewrite"]) + len(report["remove"])
        summary = f"{changes} names differ" if dry_run else f"{changes} names repaired"
        self.stdout.write(f"{zone}: {summary}")


def _repair(repair: reconcile.Repair) -> dict:
    return {
        "name": repair.fqdn,
        "reason": repair.reason,
        "found": _sorted(repair.found),
        "wanted": _sorted(repair.wanted),
    }


def _sorted(records) -> dict[str, list[str]]:
    return {rdtype: sorted(values) for rdtype, values in records.items()}


def _text(records: dict[str, list[str]]) -> str:
    shown = [f"{rdtype} {' '.join(values)}" for rdtype, values in records.items() if values]
    return "; ".join(shown) or "nothing"
