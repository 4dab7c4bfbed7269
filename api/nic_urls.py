"""The EGI-compatible /nic JSON API (docs/nic-api.md). /nic/update and /nic/delete are
dyndns2's, in dyndns2/urls.py, included before these."""

from django.urls import path

from api import nic

urlpatterns = [
    path("nic/domains", nic.nic_domains, name="nic-domains"),
    path("nic/hosts", nic.nic_hosts, name="nic-hosts"),
    path("nic/register", nic.nic_register, name="nic-register"),
    path("nic/unregister", nic.nic_unregister, name="nic-unregister"),
    path("nic/generate_secret", nic.nic_generate_secret, name="nic-generate-secret"),
]
