"""Operators' view of zones, hosts and history. Secrets are never displayed."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from domains import services
from domains.models import Domain, Host, UpdateEvent


class DomainForm(forms.ModelForm):
    tsig_secret = forms.CharField(
        label=_("TSIG secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("base64; leave empty to keep the stored secret"),
    )

    class Meta:
        model = Domain
        fields = [
            "name",
            "nameserver_host",
            "nameserver_port",
            "tsig_key_name",
            "tsig_algorithm",
            "public",
            "owner",
            "ttl",
        ]

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and not cleaned.get("tsig_secret"):
            self.add_error("tsig_secret", _("a new zone needs its TSIG secret"))
        return cleaned

    def save(self, commit=True):
        if self.cleaned_data.get("tsig_secret"):
            self.instance.tsig_secret = self.cleaned_data["tsig_secret"]
        return super().save(commit)


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    form = DomainForm
    list_display = [
        "name",
        "nameserver_host",
        "nameserver_port",
        "public",
        "owner",
        "enabled",
        "available",
    ]
    list_filter = ["public", "enabled", "available", ("owner", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "nameserver_host", "owner__username"]
    readonly_fields = ["available", "last_error", "last_error_at", "created_at"]
    actions = ["disable", "enable"]

    @admin.action(description=_("Disable selected zones"))
    def disable(self, request, queryset):
        queryset.update(enabled=False)

    @admin.action(description=_("Enable selected zones"))
    def enable(self, request, queryset):
        queryset.update(enabled=True)


@admin.register(Host)
class HostAdmin(admin.ModelAdmin):
    list_display = [
        "fqdn",
        "owner",
        "ipv4",
        "ipv6",
        "last_seen_at",
        "abuse",
        "abuse_blocked",
        "client_faults",
        "server_faults",
        "auth_faults",
    ]
    list_filter = ["domain", "abuse", "abuse_blocked", ("owner", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["fqdn", "comment", "owner__username", "ipv4", "ipv6"]
    exclude = ["secret_digest"]
    readonly_fields = [
        "fqdn",
        "ipv4",
        "ipv4_updated_at",
        "ipv4_source",
        "ipv4_user_agent",
        "ipv4_tls",
        "ipv6",
        "ipv6_updated_at",
        "ipv6_source",
        "ipv6_user_agent",
        "ipv6_tls",
        "last_seen_at",
        "client_faults",
        "client_fault_message",
        "server_faults",
        "server_fault_message",
        "auth_faults",
        "auth_fault_message",
        "created_at",
    ]
    actions = ["block", "unblock", "reset_client_faults"]

    @admin.action(description=_("Block selected hosts for abuse"))
    def block(self, request, queryset):
        queryset.update(abuse_blocked=True)

    @admin.action(description=_("Unblock selected hosts"))
    def unblock(self, request, queryset):
        queryset.update(abuse_blocked=False, abuse=False)

    @admin.action(description=_("Reset client fault counters"))
    def reset_client_faults(self, request, queryset):
        for host in queryset:
            services.host_reset_client_faults(host=host)
        messages.success(request, _("Client faults reset."))


@admin.register(UpdateEvent)
class UpdateEventAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "host",
        "family",
        "old_address",
        "new_address",
        "source",
        "result",
    ]
    list_filter = ["family", "tls"]
    search_fields = ["host__fqdn", "source", "user_agent", "result"]
    list_select_related = ["host"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
