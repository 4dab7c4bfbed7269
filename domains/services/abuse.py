"""Holding off abusive clients: the per-host update limit and the flag for a client that
repeats unchanged updates in a loop (docs/abuse.md). The counting is in domains.limits."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from domains import limits, names
from domains.models import Host
from domains.names import Addresses

logger = logging.getLogger(__name__)


class UpdateRefused(Exception):
    """The host may not be updated now; str(exc) says why, retry_after when (seconds)."""

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def host_admit_update(*, host: Host, addresses: Addresses | None, count_repeats: bool) -> None:
    """Count an address update of the host from a client against its limits.

    `addresses`: what the client asks to publish (None for a removal). An update that
    changes something takes one from the host's bucket (one Redis round trip); one that
    changes nothing writes nothing and is not limited, but with `count_repeats` it counts
    toward the nochg flag (no round trip of its own, see limits.nochg_counted). Raises
    UpdateRefused when the bucket is empty or this update got the host flagged. Nothing is
    written to the database unless a host is flagged.
    """
    if addresses is not None and _unchanged(host, addresses):
        if count_repeats:
            _count_repeat(host)
        return
    verdict = limits.host_update_check(host.fqdn)
    if not verdict.allowed:
        raise UpdateRefused(f"too many updates of {host.fqdn}.", retry_after=verdict.retry_after)


def _count_repeat(host: Host) -> None:
    """Flag every host whose nochg window just passed the limit (counts of other hosts
    arrive with this one's when the process adds them up)."""
    passed = limits.nochg_counted(host.fqdn)
    if not passed:
        return
    limit, minutes = settings.DDNS_NOCHG_ABUSE_COUNT, settings.DDNS_NOCHG_ABUSE_WINDOW_SECONDS // 60
    reason = f"more than {limit} unchanged updates within {minutes} minutes"
    for looping in Host.objects.filter(fqdn__in=passed).only("fqdn", "abuse"):
        host_flag_abuse(host=looping, reason=reason)
    if host.fqdn in passed:
        host.abuse = True
        raise UpdateRefused(f"{host.fqdn} is flagged for abuse: {reason}")


def _unchanged(host: Host, addresses: Addresses) -> bool:
    """The same decision as host_update_addresses' nochg, from the row already loaded."""
    wanted = {rdtype: a for rdtype, a in addresses.by_rdtype().items() if a is not None}
    return all(getattr(host, names.field_of(rdtype)) == a for rdtype, a in wanted.items())


def host_flag_abuse(*, host: Host, reason: str) -> bool:
    """Flag the host (its updates answer `abuse` until the owner clears it) and tell the
    owner once; False when it was flagged already."""
    flagged = Host.objects.filter(pk=host.pk, abuse=False).update(
        abuse=True, client_fault_message=f"flagged for abuse: {reason}"[:1000]
    )
    host.abuse = True
    if not flagged:
        return False  # another request got there first and sent the mail
    logger.warning("%s flagged for abuse: %s", host.fqdn, reason)
    _mail_owner(host, reason)
    return True


def _mail_owner(host: Host, reason: str) -> None:
    owner = Host.objects.select_related("owner").only("owner__email").get(pk=host.pk).owner
    if not owner.email:
        return
    page = reverse("host-detail", kwargs={"pk": host.pk})
    if settings.DDNS_PUBLIC_URL:
        page = settings.DDNS_PUBLIC_URL.rstrip("/") + page
    try:
        send_mail(
            subject=f"[{settings.DDNS_SITE_NAME}] {host.fqdn} is flagged for abuse",
            message=_notice(host, reason, page),
            from_email=None,
            recipient_list=[owner.email],
        )
    except OSError as error:  # the flag stands; the portal shows it and why
        logger.error("abuse notice for %s not sent: %s", host.fqdn, error)


def _notice(host: Host, reason: str, page: str) -> str:
    return (
        f"Your host {host.fqdn} sent {reason}: its update client seems to be stuck in a loop.\n"
        "Updates of this host are answered `abuse` and change nothing until you clear the "
        "flag.\n\n"
        "Please fix the client first: a client should update only when the address "
        "changes, or refresh every 5 minutes at most.\n"
        f"Then clear the flag on the host's page ({page}) with the button "
        '"Reset client faults and abuse flag".\n'
    )
