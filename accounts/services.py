"""Writes on user accounts."""

from django.contrib.auth.models import AbstractBaseUser

from domains import services as domain_services
from domains.models import Host


def user_delete(*, user: AbstractBaseUser) -> None:
    """Delete the account after removing each of its hosts from DNS.

    Raises domains.dns.DnsError when a zone's server fails: the account and the hosts not
    yet removed stay, so nothing is left published without an owner.
    """
    for host in Host.objects.filter(owner=user).select_related("domain"):
        domain_services.host_delete(host=host)
    user.delete()
