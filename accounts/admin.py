"""Operators delete users through the account-deletion service, never by cascade, and
create and revoke API tokens through the token services; no token is ever shown again."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from accounts import services, tokens
from accounts.models import ApiToken
from domains.admin import ServiceDeletionMixin
from domains.services import DnsFailure

User = get_user_model()


class ServiceUserAdmin(ServiceDeletionMixin, UserAdmin):
    def delete_model(self, request, obj):
        _delete_users(request, [obj])

    def delete_queryset(self, request, queryset):
        _delete_users(request, list(queryset))


def _delete_users(request, users) -> None:
    for user in users:
        try:
            services.user_delete(user=user)
        except DnsFailure as error:
            messages.error(
                request,
                _("%(user)s was kept: a zone's server did not take the removal (%(error)s).")
                % {"user": user, "error": error},
            )


admin.site.unregister(User)
admin.site.register(User, ServiceUserAdmin)


class ApiTokenForm(forms.ModelForm):
    """Adding a token creates it through the service; a token never changes afterwards
    (revoke it and make another)."""

    expires_days = forms.IntegerField(
        label=_("Expires after (days)"),
        min_value=1,
        max_value=tokens.MAX_EXPIRY_DAYS,
        required=False,
        help_text=_("empty: never"),
    )
    networks = forms.CharField(
        label=_("Allowed source networks"),
        required=False,
        help_text=_("CIDRs separated by spaces; empty: anywhere"),
    )

    class Meta:
        model = ApiToken
        fields = ["owner", "name", "scope", "hosts"]

    def _post_clean(self):
        super()._post_clean()  # type: ignore[misc]  # private ModelForm hook, not in django-stubs
        if self.errors:
            return
        try:
            self.created = tokens.token_create(
                owner=self.cleaned_data["owner"],
                name=self.cleaned_data["name"],
                scope=self.cleaned_data["scope"],
                hosts=self.cleaned_data["hosts"],
                expires_days=self.cleaned_data["expires_days"],
                networks=self.cleaned_data["networks"].split(),
            )
        except ValidationError as error:
            self.add_error(None, error)

    def save(self, commit=True):
        self.instance, raw = self.created
        self.instance.new_token = raw  # for the one page that shows it
        return self.instance

    def save_m2m(self):
        pass  # the service set the hosts


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = [
        "name",
        "owner",
        "scope",
        "prefix",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "created_at",
    ]
    list_filter = ["scope", ("owner", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "prefix", "owner__username"]
    shown = [
        "owner",
        "name",
        "scope",
        "hosts",
        "allowed_networks",
        "prefix",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "created_at",
    ]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["owner", "name", "scope", "hosts", "expires_days", "networks"]
        return self.shown

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.shown

    def save_model(self, request, obj, form, change):
        pass  # ApiTokenForm created it through the service

    def response_add(self, request, obj, post_url_continue=None):
        # Rendered, not stored: the token exists in clear only in this response.
        context = {**self.admin_site.each_context(request), "token": obj, "raw": obj.new_token}
        return TemplateResponse(request, "admin/accounts/apitoken/created.html", context)

    @admin.action(description=_("Revoke selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            tokens.token_revoke(token=token)
