"""Operators' view of zones, hosts and history. Secrets are never displayed.

Every change goes through domains.services, as in the portal: deletions remove records
from DNS first, a zone's server and key are tried with a signed test write before they
are stored, and names (a zone's, a host's label and zone) never change after creation.
"""

from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from domains import services
from domains.models import Domain, Host, RetiredName, UpdateEvent

if TYPE_CHECKING:
    # What the mixin is always combined with, so mypy can check its super() calls.
    _ModelAdminBase = admin.ModelAdmin
else:
    _ModelAdminBase = object


class ServiceDeletionMixin(_ModelAdminBase):
    """Deletion through a service, with the confirmation page listing what goes with it.

    Django's own page would refuse (hosts are protected from cascades) or delete rows
    behind the services' back; here the service removes the records from DNS first.
    """

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # What the database protects is exactly what the service removes first.
        return deleted + [str(obj) for obj in protected], counts, perms_needed, []


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

    def _post_clean(self):
        """After every other check: store nothing unless the service accepts it, test
        write included."""
        super()._post_clean()  # type: ignore[misc]  # private ModelForm hook, not in django-stubs
        if self.errors:
            return
        try:
            self.saved = self._save_through_service(self.cleaned_data)
        except ValidationError as error:
            self.add_error(None, error)
        except services.DnsFailure as error:
            self.add_error(None, _("Connectivity test failed: %(error)s") % {"error": error})

    def _save_through_service(self, cleaned: dict) -> Domain:
        values = {
            "nameserver_host": cleaned["nameserver_host"],
            "nameserver_port": cleaned["nameserver_port"],
            "tsig_key_name": cleaned["tsig_key_name"],
            "tsig_algorithm": cleaned["tsig_algorithm"],
            "public": cleaned["public"],
            "owner": cleaned["owner"],
            "ttl": cleaned["ttl"],
        }
        if self.instance.pk is None:
            if not cleaned.get("tsig_secret"):
                raise ValidationError(_("a new zone needs its TSIG secret"))
            return services.domain_add(
                name=cleaned["name"], tsig_secret=cleaned["tsig_secret"], check=True, **values
            )
        fresh = Domain.objects.get(pk=self.instance.pk)
        return services.domain_change(
            domain=fresh, tsig_secret=cleaned.get("tsig_secret") or None, **values
        )

    def save(self, commit=True):
        # Saved by the service in _post_clean(); the admin gets the stored row.
        self.instance = self.saved
        return self.saved

    def save_m2m(self):
        pass


@admin.register(Domain)
class DomainAdmin(ServiceDeletionMixin, admin.ModelAdmin):
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
    readonly_fields = ["enabled", "available", "last_error", "last_error_at", "created_at"]
    actions = ["disable", "enable"]

    def get_readonly_fields(self, request, obj=None):
        # Hosts' names are built from the zone's: renaming is delete + add.
        return [*self.readonly_fields, "name"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        pass  # DomainForm saved it through the service

    def delete_model(self, request, obj):
        _delete_zones(request, [obj])

    def delete_queryset(self, request, queryset):
        _delete_zones(request, list(queryset))

    @admin.action(description=_("Disable selected zones"))
    def disable(self, request, queryset):
        for domain in queryset:
            services.domain_set_enabled(domain=domain, enabled=False)

    @admin.action(description=_("Enable selected zones"))
    def enable(self, request, queryset):
        for domain in queryset:
            services.domain_set_enabled(domain=domain, enabled=True)


def _delete_zones(request, domains: list[Domain]) -> None:
    for domain in domains:
        try:
            services.domain_delete(domain=domain)
        except services.DnsFailure as error:
            messages.error(
                request,
                _("Zone %(zone)s was kept: its server did not take the removal (%(error)s).")
                % {"zone": domain.name, "error": error},
            )


class HostForm(forms.ModelForm):
    """Adding a host registers it through the service (quota, reserved and taken names);
    afterwards only the comment can change."""

    class Meta:
        model = Host
        fields = ["label", "domain", "owner", "comment"]

    def _get_validation_exclusions(self):
        # The service checks the name (syntax, reserved, taken), in its own words.
        # Private ModelForm hook, not in django-stubs.
        return {*super()._get_validation_exclusions(), "label"}  # type: ignore[misc]

    def _post_clean(self):
        super()._post_clean()  # type: ignore[misc]  # private ModelForm hook, not in django-stubs
        if self.instance.pk is not None or self.errors:
            return
        try:
            self.registered = services.host_register(
                domain=self.cleaned_data["domain"],
                label=self.cleaned_data["label"],
                owner=self.cleaned_data["owner"],
                comment=self.cleaned_data.get("comment", ""),
                by_operator=True,
            )
        except ValidationError as error:
            self.add_error(None, error)

    def save(self, commit=True):
        if self.instance.pk is None:
            self.instance, secret = self.registered
            self.instance.new_secret = secret  # for the one page that shows it
        else:
            services.host_set_comment(host=self.instance, comment=self.cleaned_data["comment"])
        return self.instance

    def save_m2m(self):
        pass


@admin.register(Host)
class HostAdmin(ServiceDeletionMixin, admin.ModelAdmin):
    form = HostForm
    list_display = [
        "fqdn",
        "owner",
        "ipv4",
        "ipv6",
        "last_seen_at",
        "wildcard",
        "abuse",
        "abuse_blocked",
        "client_faults",
        "server_faults",
        "auth_faults",
    ]
    list_filter = [
        "domain",
        "wildcard",
        "abuse",
        "abuse_blocked",
        ("owner", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["fqdn", "comment", "owner__username", "ipv4", "ipv6"]
    readonly_fields = [
        "fqdn",
        "wildcard",
        "acme_challenge_values",
        "abuse",
        "abuse_blocked",
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

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["label", "domain", "owner", "comment"]
        return ["label", "domain", "owner", "comment", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # The name never changes (renaming is delete + add), nor who owns it.
        return ["label", "domain", "owner", *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        pass  # HostForm.save went through the services

    @admin.display(description=_("ACME challenge TXT records"))
    def acme_challenge_values(self, obj: Host) -> str:
        # Shown only: the owner's ACME client adds and removes them through the services.
        return ", ".join(services.acme_txt_list(obj)) or "-"

    def response_add(self, request, obj, post_url_continue=None):
        # Rendered, not stored: the secret exists in clear only in this response.
        context = {**self.admin_site.each_context(request), "host": obj, "secret": obj.new_secret}
        return TemplateResponse(request, "admin/domains/host/secret.html", context)

    def delete_model(self, request, obj):
        _delete_hosts(request, [obj])

    def delete_queryset(self, request, queryset):
        _delete_hosts(request, list(queryset))

    @admin.action(description=_("Block selected hosts for abuse"))
    def block(self, request, queryset):
        for host in queryset:
            services.host_block(host=host)

    @admin.action(description=_("Unblock selected hosts"))
    def unblock(self, request, queryset):
        for host in queryset:
            services.host_unblock(host=host)

    @admin.action(description=_("Reset client fault counters"))
    def reset_client_faults(self, request, queryset):
        for host in queryset:
            services.host_reset_client_faults(host=host)
        messages.success(request, _("Client faults reset."))


def _delete_hosts(request, hosts: list[Host]) -> None:
    waiting = [host.fqdn for host in hosts if not services.host_delete(host=host)]
    if waiting:
        messages.warning(
            request,
            _(
                "The DNS server did not answer; the records of %(names)s will be removed "
                "as soon as it does."
            )
            % {"names": ", ".join(waiting)},
        )


class RecordAdmin(admin.ModelAdmin):
    """Rows the service writes as a record of what happened: shown, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RetiredName)
class RetiredNameAdmin(RecordAdmin):
    """Names of deleted hosts whose records wait for their server; the reconciler removes
    them. Not deletable here: that would leave their records in DNS for ever."""

    list_display = ["fqdn", "domain", "created_at", "last_error"]
    list_filter = ["domain"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(UpdateEvent)
class UpdateEventAdmin(RecordAdmin):
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
