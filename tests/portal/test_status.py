"""The operators' status page and zone switches."""

import pytest
from django.test import Client

from domains.models import Domain
from tests.support.web import body, logged_in, nic

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(django_user_model):
    user = django_user_model.objects.create_user("olga", "olga@example.org", "pw", is_staff=True)
    return logged_in(user)


def test_status_page_counts_and_lists_failing_zones(operator_client, make_host, domain):
    host, secret = make_host()
    nic(Client(), host, secret, myip="192.0.2.140")
    Domain.objects.filter(pk=domain.pk).update(available=False, last_error="timed out")
    page = operator_client.get("/status/").content.decode()
    assert 'id="stat-hosts">1<' in page
    assert 'id="stat-day">1<' in page
    assert "timed out" in page
    assert "<rect" in page


def test_status_page_is_staff_only(client, alice):
    assert client.get("/status/").status_code == 302
    client.force_login(alice)
    assert client.get("/status/").status_code == 302


def test_a_disabled_zone_stops_updates(client, make_host, domain, bind):
    host, secret = make_host()
    Domain.objects.filter(pk=domain.pk).update(enabled=False)
    assert body(nic(client, host, secret, myip="192.0.2.141")) == "nohost\n"
    assert bind.lookup(host.fqdn) == []


def test_the_admin_action_disables_a_zone(operator_client, django_user_model, domain):
    django_user_model.objects.filter(username="olga").update(is_superuser=True)
    operator_client.post(
        "/admin/domains/domain/", {"action": "disable", "_selected_action": [domain.pk]}
    )
    domain.refresh_from_db()
    assert domain.enabled is False
