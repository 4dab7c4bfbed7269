"""Operators delete users through the account-deletion service, never by cascade."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from accounts import services
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
