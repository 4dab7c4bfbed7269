"""Reads for the portal: what a user may see. Every object lookup is scoped to its owner."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from domains.models import Domain, Host, UpdateEvent


def hosts_of(user) -> QuerySet[Host]:
    return Host.objects.filter(owner=user).select_related("domain")


def host_of(user, pk: int) -> Host:
    """The user's host, or 404: another user's host looks exactly like a missing one."""
    return get_object_or_404(hosts_of(user), pk=pk)


def domains_usable_by(user) -> QuerySet[Domain]:
    return Domain.objects.filter(Q(public=True) | Q(owner=user))


def history_of(host: Host, limit: int = 100) -> list[UpdateEvent]:
    return list(host.events.all()[:limit])
