from django.urls import path, re_path

from portal import tokens, views, zones

urlpatterns = [
    path("address/", views.address, name="address"),
    path("status/", views.status, name="status"),
    path("hosts/", views.host_list, name="host-list"),
    path("hosts/add/", views.host_add, name="host-add"),
    path("hosts/<int:pk>/", views.host_detail, name="host-detail"),
    path("hosts/<int:pk>/secret/", views.host_regenerate_secret, name="host-secret"),
    path("hosts/<int:pk>/address/", views.host_set_address, name="host-set-address"),
    re_path(
        r"^hosts/(?P<pk>[0-9]+)/delete-(?P<rdtype>A|AAAA)/$",
        views.host_delete_address,
        name="host-delete-address",
    ),
    path("hosts/<int:pk>/reset-faults/", views.host_reset_faults, name="host-reset-faults"),
    path("hosts/<int:pk>/delete/", views.host_delete, name="host-delete"),
    path("zones/", zones.zone_list, name="zone-list"),
    path("zones/add/", zones.zone_add, name="zone-add"),
    path("zones/<int:pk>/", zones.zone_detail, name="zone-detail"),
    path("zones/<int:pk>/check/", zones.zone_check, name="zone-check"),
    path("zones/<int:pk>/public/", zones.zone_toggle_public, name="zone-public"),
    path(
        "zones/<int:pk>/hosts/<int:host_pk>/remove/",
        zones.zone_remove_host,
        name="zone-remove-host",
    ),
    path("zones/<int:pk>/delete/", zones.zone_delete, name="zone-delete"),
    path("tokens/", tokens.token_list, name="token-list"),
    path("tokens/add/", tokens.token_add, name="token-add"),
    path("tokens/<int:pk>/revoke/", tokens.token_revoke, name="token-revoke"),
]
