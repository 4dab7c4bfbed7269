"""The service's URLs plus /bench/bare: the cheapest request that still touches the database.

Same middleware, same worker, one indexed read by fqdn and a one-line answer: whatever
/nic/update costs beyond this is the cost of the update path itself.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from domains.models import Host


def bare(request: HttpRequest) -> HttpResponse:
    fqdn = request.GET.get("hostname", "")
    host_id = Host.objects.filter(fqdn=fqdn).values_list("id", flat=True).first()
    return HttpResponse(f"ok {host_id}\n", content_type="text/plain; charset=utf-8")


urlpatterns = [
    path("bench/bare", bare, name="bench-bare"),
    path("", include("ddns.urls")),
]
