"""The portal's zone pages: users bring their own zone and manage the hosts in it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from domains import crypto, selectors, services
from portal.feedback import report_deleted, report_dns_failure
from portal.forms import ZoneForm


@login_required
def zone_list(request: HttpRequest) -> HttpResponse:
    zones = selectors.zones_of(request.user)
    return render(request, "portal/zone_list.html", {"zones": zones})


@login_required
def zone_add(request: HttpRequest) -> HttpResponse:
    assert request.user.is_authenticated  # login_required; narrows request.user to User
    form = ZoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if not data["tsig_secret"]:
            # First step: propose a secret and the server snippet; saving comes next.
            data["tsig_secret"] = crypto.new_tsig_secret()
            form = ZoneForm(initial=data)
            messages.info(
                request,
                _(
                    "A secret was generated. Add the snippet below to your "
                    "server, reload it, then save again."
                ),
            )
            return render(request, "portal/zone_add.html", {"form": form, "snippet": data})
        try:
            zone = services.domain_add(**data, owner=request.user, check=True)
        except services.DnsFailure as error:
            form.add_error(None, _("Connectivity test failed: %(error)s") % {"error": error})
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Zone %(zone)s added; the test update succeeded.") % {"zone": zone.name}
            )
            return redirect("zone-detail", pk=zone.pk)
    snippet = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else None
    return render(request, "portal/zone_add.html", {"form": form, "snippet": snippet})


@login_required
def zone_detail(request: HttpRequest, pk: int) -> HttpResponse:
    zone = selectors.zone_of(request.user, pk)
    hosts = selectors.hosts_in(zone)
    return render(request, "portal/zone_detail.html", {"zone": zone, "hosts": hosts})


@login_required
@require_POST
def zone_check(request: HttpRequest, pk: int) -> HttpResponse:
    zone = selectors.zone_of(request.user, pk)
    try:
        services.domain_check(domain=zone)
    except services.DnsFailure as error:
        messages.error(request, _("Connectivity test failed: %(error)s") % {"error": error})
    else:
        messages.success(request, _("The test update succeeded."))
    return redirect("zone-detail", pk=zone.pk)


@login_required
@require_POST
def zone_toggle_public(request: HttpRequest, pk: int) -> HttpResponse:
    zone = selectors.zone_of(request.user, pk)
    services.domain_set_public(domain=zone, public=not zone.public)
    return redirect("zone-detail", pk=zone.pk)


@login_required
@require_POST
def zone_remove_host(request: HttpRequest, pk: int, host_pk: int) -> HttpResponse:
    """The zone's owner may remove any host in it, e.g. an abusive one."""
    zone = selectors.zone_of(request.user, pk)
    host = get_object_or_404(selectors.hosts_in(zone), pk=host_pk)
    report_deleted(request, host.fqdn, services.host_delete(host=host))
    return redirect("zone-detail", pk=zone.pk)


@login_required
def zone_delete(request: HttpRequest, pk: int) -> HttpResponse:
    zone = selectors.zone_of(request.user, pk)
    if request.method != "POST":
        return render(request, "portal/zone_delete.html", {"zone": zone})
    try:
        services.domain_delete(domain=zone)
    except services.DnsFailure as error:
        report_dns_failure(request, error)
        return redirect("zone-detail", pk=zone.pk)
    messages.success(request, _("Zone %(zone)s was deleted.") % {"zone": zone.name})
    return redirect("zone-list")
