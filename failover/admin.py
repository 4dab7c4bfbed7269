"""Operators' view of groups: read, switch members, delete through the services."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from domains.services import DnsFailure
from failover import services
from failover.models import Event, Group, Member


class MemberInline(admin.TabularInline):
    model = Member
    fields = ("priority", "ipv4", "ipv6", "host", "check_target", "switch", "switch_until")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    """Groups are made with the portal or `manage.py ha_group_create`, where members
    and targets are validated; here operators watch them and can stop them."""

    list_display = ["host", "mode", "check_kind", "interval", "pending", "created_at"]
    list_filter = ["mode", "check_kind", "pending"]
    search_fields = ["host__fqdn", "host__owner__username"]
    inlines = [MemberInline]
    actions = ["maintenance_off"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        _delete_groups(request, [obj])

    def delete_queryset(self, request, queryset):
        _delete_groups(request, list(queryset))

    @admin.action(description=_("Put every member of the selected groups back to automatic"))
    def maintenance_off(self, request, queryset):
        for member in Member.objects.filter(group__in=queryset).exclude(switch="auto"):
            services.member_set_switch(member=member, switch="auto")


def _delete_groups(request, groups: list[Group]) -> None:
    for group in groups:
        try:
            services.group_delete(group=group)
        except DnsFailure as error:
            messages.error(request, _("%(g)s was kept: %(e)s") % {"g": group, "e": error})


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "group", "kind", "member", "old_state", "new_state", "reason"]
    list_filter = ["kind"]
    search_fields = ["group__host__fqdn", "reason"]
    list_select_related = ["group__host", "member__host"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
