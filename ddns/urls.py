from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

# The admin logs in through the portal's login (allauth): the same throttling and the same
# second factor, so an operator's account is no weaker than a user's.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("", include("dyndns2.urls")),
    path("", include("api.nic_urls")),  # the EGI-compatible /nic JSON API
    path("api/v1/", include("failover.api_urls")),  # before api.urls and its catch-all
    path("api/v1/", include("api.urls")),
    path("", include("acme.urls")),
    path("", include("ops.urls")),
    path("", include("portal.urls")),
    path("", include("failover.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
]
