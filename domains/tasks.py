"""Celery tasks: thin wrappers that call services."""

from datetime import timedelta

from celery import shared_task

from domains import dns, reconcile, services
from domains.models import Domain


@shared_task
def prune_history() -> int:
    return services.history_prune()


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
