"""ACME DNS-01 endpoints (docs/acme.md): lego's httpreq under /acme/httpreq/ (the
endpoint clients configure), acme-dns's update at /acme-dns/update (base URL /acme-dns)."""

from django.urls import path

from acme import views

app_name = "acme"

urlpatterns = [
    path("acme/httpreq/present", views.httpreq_present, name="httpreq-present"),
    path("acme/httpreq/cleanup", views.httpreq_cleanup, name="httpreq-cleanup"),
    path("acme-dns/update", views.acmedns_update, name="acmedns-update"),
]
