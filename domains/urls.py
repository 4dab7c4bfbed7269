from django.urls import path, re_path

from domains import portal, views, zones

urlpatterns = [
    path("nic/update", views.nic_update, name="nic-update"),
    path("nic/delete", views.nic_delete, name="nic-delete"),
    path("myip", views.myip, name="myip"),
    path("address/", portal.address, name="address"),
    path("status/", portal.status, name="status"),
    path("hosts/", portal.host_list, name="host-list"),
    path("hosts/add/", portal.host_add, name="host-add"),
    path("hosts/<int:pk>/", portal.host_detail, name="host-detail"),
    path("hosts/<int:pk>/secret/", portal.host_regenerate_secret, name="host-secret"),
    path("hosts/<int:pk>/address/", portal.host_set_address, name="host-set-address"),
    re_path(
        r"^hosts/(?P<pk>[0-9]+)/delete-(?P<rdtype>A|AAAA)/$",
        portal.host_delete_address,
        name="host-delete-address",
    ),
    path("hosts/<int:pk>/reset-faults/", portal.host_reset_faults, name="host-reset-faults"),
    path("hosts/<int:pk>/delete/", portal.host_delete, name="host-delete"),
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
]
