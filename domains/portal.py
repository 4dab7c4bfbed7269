"""The portal's host pages: thin views that parse, call a service and render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from domains import dns, selectors, services
from domains.client_configs import client_configs
from domains.forms import AddressForm, HostForm
from domains.timeline import timeline_points
from domains.views import visitor_address


def _client(request: HttpRequest) -> services.ClientInfo:
    user_agent = "portal: " + request.user.get_username()
    return services.ClientInfo(
        source=visitor_address(request) or None, user_agent=user_agent, tls=request.is_secure()
    )


def report_dns_failure(request: HttpRequest, error: dns.DnsError) -> None:
    """The one wording for a change the zone's server did not take."""
    messages.error(
        request, _("The DNS server did not accept the change: %(error)s") % {"error": error}
    )


@login_required
def host_list(request: HttpRequest) -> HttpResponse:
    return render(request, "domains/host_list.html", {"hosts": selectors.hosts_of(request.user)})


@login_required
def host_add(request: HttpRequest) -> HttpResponse:
    form = HostForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        host, secret = services.host_register(
            domain=form.cleaned_data["domain"],
            label=form.cleaned_data["label"],
            owner=request.user,
            comment=form.cleaned_data["comment"],
        )
        # Rendered, not stored: the secret exists in clear only in this response.
        return render(request, "domains/host_secret.html", {"host": host, "secret": secret})
    return render(request, "domains/host_add.html", {"form": form})


@login_required
def host_detail(request: HttpRequest, pk: int) -> HttpResponse:
    host = selectors.host_of(request.user, pk)
    base_url = settings.DDNS_PUBLIC_URL or request.build_absolute_uri("/").rstrip("/")
    events = selectors.history_of(host)
    return render(
        request,
        "domains/host_detail.html",
        {
            "host": host,
            "events": events,
            "timeline": timeline_points(events),
            "configs": client_configs(host.fqdn, base_url),
            "address_form": AddressForm(),
        },
    )


@login_required
@require_POST
def host_regenerate_secret(request: HttpRequest, pk: int) -> HttpResponse:
    host = selectors.host_of(request.user, pk)
    secret = services.host_reset_secret(host=host)
    return render(request, "domains/host_secret.html", {"host": host, "secret": secret})


@login_required
@require_POST
def host_set_address(request: HttpRequest, pk: int) -> HttpResponse:
    host = selectors.host_of(request.user, pk)
    form = AddressForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["address"]))
        return redirect("host-detail", pk=host.pk)
    address = form.cleaned_data["address"]
    family = "ipv6" if ":" in address else "ipv4"
    try:
        services.host_update_addresses(
            host=host, addresses=services.Addresses(**{family: address}), client=_client(request)
        )
    except dns.DnsError as error:
        report_dns_failure(request, error)
    else:
        messages.success(
            request,
            _("%(name)s now points to %(address)s.") % {"name": host.fqdn, "address": address},
        )
    return redirect("host-detail", pk=host.pk)


@login_required
@require_POST
def host_delete_address(request: HttpRequest, pk: int, rdtype: str) -> HttpResponse:
    host = selectors.host_of(request.user, pk)
    try:
        services.host_delete_address(host=host, rdtype=rdtype, client=_client(request))
    except dns.DnsError as error:
        report_dns_failure(request, error)
    else:
        messages.success(request, _("The %(type)s record was removed.") % {"type": rdtype})
    return redirect("host-detail", pk=host.pk)


@login_required
@require_POST
def host_reset_faults(request: HttpRequest, pk: int) -> HttpResponse:
    host = selectors.host_of(request.user, pk)
    services.host_reset_client_faults(host=host)
    services.host_clear_abuse(host=host)
    messages.success(request, _("Client faults reset."))
    return redirect("host-detail", pk=host.pk)


@login_required
def host_delete(request: HttpRequest, pk: int) -> HttpResponse:
    host = selectors.host_of(request.user, pk)
    if request.method != "POST":
        return render(request, "domains/host_delete.html", {"host": host})
    try:
        services.host_delete(host=host)
    except dns.DnsError as error:
        report_dns_failure(request, error)
        return redirect("host-detail", pk=host.pk)
    messages.success(request, _("%(name)s was deleted.") % {"name": host.fqdn})
    return redirect("host-list")


@staff_member_required
def status(request: HttpRequest) -> HttpResponse:
    return render(request, "domains/status.html", {"stats": selectors.service_statistics()})


def address(request: HttpRequest) -> HttpResponse:
    """The visitor's addresses; the page asks the family-specific names when configured."""
    return render(
        request,
        "domains/address.html",
        {
            "address": visitor_address(request),
            "ipv4_host": settings.DDNS_IPV4_SERVICE_HOST,
            "ipv6_host": settings.DDNS_IPV6_SERVICE_HOST,
        },
    )
