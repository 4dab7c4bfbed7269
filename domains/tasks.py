"""Celery tasks: thin wrappers that call services."""

import logging
from datetime import timedelta

from celery import shared_task

from domains import dns, reconcile, services
from domains.models import Domain

logger = logging.getLogger(__name__)


@shared_task
def prune_history() -> int:
    """Rows past their retention: update history and expired login sessions."""
    return services.history_prune() + services.sessions_prune()


@shared_task
def process_stale_hosts() -> dict[str, int]:
    """Remind, disable and delete hosts nobody updates; revive those updated again."""
    report = services.stale_hosts_process()
    counts = {stage: len(names) for stage, names in vars(report).items()}
    if any(counts.values()):
        logger.info("stale hosts: %s", counts)
    return counts


@shared_task
def check_zone_health() -> int:
    """Ask each due zone's primary for its SOA; returns how many did not answer."""
    return sum(not health.ok for health in services.zones_check_health())


@shared_task
def reconcile_zones() -> int:
    """Repair drift in every enabled zone; a failing zone is recorded and the rest go on."""
    repaired = 0
    for domain in Domain.objects.filter(enabled=True):
        try:
            repaired += len(reconcile.domain_reconcile(domain=domain))
        except dns.DnsError:
            continue  # recorded on the zone by domain_reconcile; the others go on
    return repaired


@shared_task
def expire_acme_challenges(max_age_seconds: float = 3600.0) -> int:
    """Withdraw challenge records whose client never cleaned up (ACME validation takes
    seconds to minutes; an hour-old value serves nobody)."""
    return services.acme_txt_expire(older_than=timedelta(seconds=max_age_seconds))
