"""/api/v1/: hosts, zones, tokens, the schema and its documentation pages.

High-availability groups are served under the same prefix from failover/api_urls.py
(mounted before this module in ddns/urls.py: the catch-all below must come last).
"""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from api import hosts, views, zones
from api import tokens as token_views

router = SimpleRouter()
router.register("hosts", hosts.HostViewSet, basename="api-host")
router.register("zones", zones.ZoneViewSet, basename="api-zone")
router.register("tokens", token_views.TokenViewSet, basename="api-token")

urlpatterns = [
    *router.urls,
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    # Unknown paths answer in the API's error shape, not with an HTML page.
    re_path(r"^[\s\S]*$", views.not_found),
]
