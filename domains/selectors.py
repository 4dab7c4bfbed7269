"""Reads: what a user may see (every lookup scoped to its owner) and the operators' counts."""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.shortcuts import get_object_or_404
from django.utils import timezone

from domains.models import Domain, Host, UpdateEvent


def hosts_of(user) -> QuerySet[Host]:
    return Host.objects.filter(owner=user).select_related("domain")


def host_of(user, pk: int) -> Host:
    """The user's host, or 404: another user's host looks exactly like a missing one."""
    return get_object_or_404(hosts_of(user), pk=pk)


def zones_of(user) -> QuerySet[Domain]:
    return Domain.objects.filter(owner=user)


def zone_of(user, pk: int) -> Domain:
    """The user's own zone, or 404."""
    return get_object_or_404(zones_of(user), pk=pk)


def zone_exists(name: str) -> bool:
    return Domain.objects.filter(name=name).exists()


def hosts_in(zone: Domain) -> QuerySet[Host]:
    return Host.objects.filter(domain=zone).select_related("owner")


def domains_usable_by(user) -> QuerySet[Domain]:
    return Domain.objects.filter(Q(public=True) | Q(owner=user), enabled=True)


def history_of(host: Host, limit: int = 100) -> list[UpdateEvent]:
    return list(host.events.all()[:limit])


def service_statistics(now: datetime | None = None) -> dict:
    """Counts for the operators' status page, all from stored state."""
    now = now or timezone.now()
    events = UpdateEvent.objects.filter(result="good")
    return {
        "users": get_user_model().objects.count(),
        "zones": Domain.objects.count(),
        "hosts": Host.objects.count(),
        "updates_day": events.filter(created_at__gte=now - timedelta(days=1)).count(),
        "updates_week": events.filter(created_at__gte=now - timedelta(days=7)).count(),
        "updates_month": events.filter(created_at__gte=now - timedelta(days=30)).count(),
        "failing_zones": list(Domain.objects.filter(available=False)),
        "daily": _updates_per_day(now, days=30),
    }


def _updates_per_day(now: datetime, days: int) -> list[dict]:
    """Successful updates per day, oldest first, days without any included."""
    start = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    counts = dict(
        UpdateEvent.objects.filter(result="good", created_at__gte=start)
        .annotate(day=TruncDate("created_at"))
        .values_list("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    return [
        {"day": day, "count": counts.get(day, 0)}
        for day in (start.date() + timedelta(days=i) for i in range(days))
    ]
