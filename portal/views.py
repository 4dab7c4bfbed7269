"""The portal's host pages: thin views that parse, call a service and render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from domains import names, selectors, services
from domains.visitors import visitor_address
from portal.charts import daily_bars, timeline_points
from portal.client_configs import client_configs
from portal.feedback import report_deleted, report_dns_failure
from portal.forms import AddressForm, HostForm, WildcardForm


def _client(request: HttpRequest) -> services.ClientInfo:
    user_agent = "portal: " + request.user.get_username()
    return services.ClientInfo(
        source=visitor_address(request), user_agent=user_agent, tls=request.is_secure()
    )


@login_required
def host_list(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/host_list.html", {"hosts": selectors.hosts_of(request.user)})


@login_required
def host_add(request: HttpRequest) -> HttpResponse:
    assert request.user.is_authenticated  # login_required; narrows request.user to User
    form = HostForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            host, secret = services.host_register(owner=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # Rendered, not stored: the secret exists in clear only in this response.
            return render(request, "portal/host_secret.html", {"host": host, "secret": secret})
    return render(request, "portal/host_add.html", {"form": form})


@login_required
def host_detail(request: HttpRequest, pk: int) -> HttpResponse:
    host = selectors.host_of(request.user, pk)
    if request.method == "POST":
        return _host_set_wildcard(request, host)
    base_url = settings.DDNS_PUBLIC_URL or request.build_absolute_uri("/").rstrip("/")
    events = selectors.history_of(host)
    return render(
        request,
        "portal/host_detail.html",
        {
            "host": host,
            "events": events,
            "timeline": timeline_points(events),
            "configs": client_configs(host.fqdn, base_url),
            "address_form": AddressForm(),
            "wildcard_form": WildcardForm(initial={"wildcard": host.wildcard}),
            "challenges": services.acme_txt_list(host),
        },
    )


def _host_set_wildcard(request: HttpRequest, host) -> HttpResponse:
    """The host page's wildcard switch (posted to the page itself)."""
    form = WildcardForm(request.POST)
    wildcard = form.is_valid() and form.cleaned_data["wildcard"]
    try:
        changed = services.host_set_wildcard(host=host, wildcard=wildcard)
    except services.DnsFailure as error:
        report_dns_failure(request, error)
    else:
        if changed and wildcard:
            messages.success(request, _("*.%(name)s now follows this host.") % {"name": host.fqdn})
        elif changed:
            messages.success(request, _("*.%(name)s was removed.") % {"name": host.fqdn})
    return redirect("host-detail", pk=host.pk)


@login_required
@require_POST
def host_regenerate_secret(request: HttpRequest, pk: int) -> HttpResponse:
    host = selectors.host_of(request.user, pk)
    secret = services.host_reset_secret(host=host)
    return render(request, "portal/host_secret.html", {"host": host, "secret": secret})


@login_required
@require_POST
def host_set_address(request: HttpRequest, pk: int) -> HttpResponse:
    host = selectors.host_of(request.user, pk)
    form = AddressForm(request.POST)
    if not form.is_valid():
        # ErrorList yields message strings; django-stubs types its items more widely.
        messages.error(request, " ".join(map(str, form.errors["address"])))
        return redirect("host-detail", pk=host.pk)
    address = form.cleaned_data["address"]
    try:
        services.host_update_addresses(
            host=host, addresses=names.Addresses.of(address), client=_client(request)
        )
    except services.DnsFailure as error:
        report_dns_failure(request, error)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
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
    except services.DnsFailure as error:
        report_dns_failure(request, error)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
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
        return render(request, "portal/host_delete.html", {"host": host})
    report_deleted(request, host.fqdn, services.host_delete(host=host))
    return redirect("host-list")


@staff_member_required
def status(request: HttpRequest) -> HttpResponse:
    stats = selectors.service_statistics()
    return render(
        request, "portal/status.html", {"stats": stats, "bars": daily_bars(stats["daily"])}
    )


def address(request: HttpRequest) -> HttpResponse:
    """The visitor's addresses; the page asks the family-specific names when configured."""
    return render(
        request,
        "portal/address.html",
        {
            "address": visitor_address(request) or "",
            "ipv4_host": settings.DDNS_IPV4_SERVICE_HOST,
            "ipv6_host": settings.DDNS_IPV6_SERVICE_HOST,
        },
    )
