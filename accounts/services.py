"""Writes on user accounts."""

from django.contrib.auth.models import User

from domains import services as domain_services
from domains.models import Domain, Host


def user_delete(*, user: User) -> None:
    """Delete the account after its hosts and zones, each through its own service.

    Hosts go at once (a host whose server does not answer leaves its name to the
    reconciler). A zone is removed only when its server takes the removal of every name
    in it; otherwise domains.services.DnsFailure is raised and the account stays, so
    nothing is ever left published without an owner. The database enforces the order:
    it refuses to delete a user who still owns hosts or zones.
    """
    for host in Host.objects.filter(owner=user).select_related("domain"):
        domain_services.host_delete(host=host)
    for domain in Domain.objects.filter(owner=user):
        domain_services.domain_delete(domain=domain)
    user.delete()
