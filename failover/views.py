"""The owners' pages for groups: thin views that parse, call a service and render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from domains import services as domain_services
from failover import selectors, services
from failover.forms import GroupForm, MemberForm, NewGroupForm, SwitchForm


@login_required
def group_list(request: HttpRequest) -> HttpResponse:
    groups = selectors.groups_of(request.user)
    return render(request, "failover/group_list.html", {"groups": groups})


@login_required
def group_add(request: HttpRequest) -> HttpResponse:
    assert request.user.is_authenticated  # login_required
    form = NewGroupForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            group, secret = services.group_create(
                host=form.cleaned_data["host"],
                members=form.cleaned_data["members"],
                by=request.user,
                **form.options(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        except domain_services.DnsFailure as error:
            form.add_error(None, _("The first answer was not published: %(e)s") % {"e": error})
        else:
            # Rendered, not stored: the webhook secret exists in clear only in this response.
            return render(request, "failover/group_secret.html", {"group": group, "secret": secret})
    return render(request, "failover/group_form.html", {"form": form})


@login_required
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    group = selectors.group_of(request.user, pk)
    rows = selectors.member_rows(group)
    for row in rows:
        row["uptime"] = selectors.uptime(row["member"])
    context = {
        "group": group,
        "rows": rows,
        "events": selectors.events_of(group),
        "check": selectors.check_text(group),
        "negative_ttl": selectors.negative_caching_seconds(group),
        "member_form": MemberForm(),
        "switch_form": SwitchForm(),
    }
    return render(request, "failover/group_detail.html", context)


@login_required
def group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    assert request.user.is_authenticated  # login_required
    group = selectors.group_of(request.user, pk)
    form = GroupForm(request.POST or None, instance=group)
    if request.method == "POST" and form.is_valid():
        try:
            services.group_update(
                group=selectors.group_of(request.user, pk), by=request.user, **form.options()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The group was saved."))
            return redirect("group-detail", pk=pk)
    return render(request, "failover/group_form.html", {"form": form, "group": group})


@login_required
@require_POST
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    assert request.user.is_authenticated  # login_required
    group = selectors.group_of(request.user, pk)
    form = MemberForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError([e for errors in form.errors.values() for e in errors])
        services.member_add(group=group, spec=form.cleaned_data["member"], by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("group-detail", pk=pk)


@login_required
@require_POST
def member_switch(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    group = selectors.group_of(request.user, pk)
    member = get_object_or_404(group.members, pk=member_pk)
    form = SwitchForm(request.POST)
    if form.is_valid():
        services.member_set_switch(
            member=member, switch=form.cleaned_data["switch"], until=form.cleaned_data["until"]
        )
    else:
        messages.error(request, _("Choose a state and, optionally, a time."))
    return redirect("group-detail", pk=pk)


@login_required
@require_POST
def member_delete(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    group = selectors.group_of(request.user, pk)
    services.member_delete(member=get_object_or_404(group.members, pk=member_pk))
    return redirect("group-detail", pk=pk)


@login_required
def group_delete(request: HttpRequest, pk: int) -> HttpResponse:
    group = selectors.group_of(request.user, pk)
    if request.method != "POST":
        return render(request, "failover/group_delete.html", {"group": group})
    try:
        services.group_delete(group=group)
    except domain_services.DnsFailure as error:
        messages.error(
            request, _("The DNS server did not answer (%(e)s); the group stays.") % {"e": error}
        )
        return redirect("group-detail", pk=pk)
    messages.success(request, _("%(name)s no longer follows a group.") % {"name": group.host.fqdn})
    return redirect("group-list")
