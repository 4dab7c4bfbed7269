"""The portal's wording for what the services report, in one place."""

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from domains import services


def report_dns_failure(request: HttpRequest, error: services.DnsFailure) -> None:
    """The one wording for a change the zone's server did not take."""
    messages.error(
        request, _("The DNS server did not accept the change: %(error)s") % {"error": error}
    )


def report_deleted(request: HttpRequest, fqdn: str, records_removed: bool) -> None:
    if records_removed:
        messages.success(request, _("%(name)s was deleted.") % {"name": fqdn})
    else:
        messages.warning(
            request,
            _(
                "%(name)s was deleted. The DNS server did not answer; its records will be "
                "removed as soon as it does."
            )
            % {"name": fqdn},
        )
