"""The portal's API token pages: alice creates, sees and revokes hers; bob cannot touch them."""

import re

import pytest
import requests
from django.test import Client
from playwright.sync_api import expect

from accounts.models import ApiToken
from accounts.tokens import token_authenticate, token_create
from tests.support.bind import unique_label
from tests.support.web import body

pytestmark = pytest.mark.django_db


def shown_token(response) -> str:
    return re.search(r'id="token"[^>]*value="([^"]+)"', response.content.decode()).group(1)


def test_alice_creates_a_token_and_it_is_shown_only_once(alice_client, make_host):
    host, _ = make_host()
    response = alice_client.post(
        "/tokens/add/",
        {
            "name": "web VM",
            "scope": "hosts",
            "hosts": [host.pk],
            "expires_days": "30",
            "networks": "192.0.2.0/24, 2001:db8::/48",
        },
    )
    assert response.status_code == 200
    raw = shown_token(response)
    token = token_authenticate(raw, source="192.0.2.1")
    assert (token.name, token.scope) == ("web VM", "hosts")
    assert list(token.hosts.all()) == [host]
    assert token.allowed_networks == ["192.0.2.0/24", "2001:db8::/48"]
    page = body(alice_client.get("/tokens/"))
    assert raw not in page
    assert "web VM" in page and token.prefix in page and host.fqdn in page
    assert "192.0.2.0/24, 2001:db8::/48" in page


def test_the_list_shows_scope_expiry_and_last_use(alice, alice_client):
    token, raw = token_create(owner=alice, name="monitoring", scope="read", expires_days=7)
    page = body(alice_client.get("/tokens/"))
    assert "read only" in page and token.expires_at.strftime("%Y-%m-%d") in page
    assert "never" in page  # not used yet
    token_authenticate(raw, source=None)
    assert "ago" in body(alice_client.get("/tokens/"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "scope": "full"}, "This field is required"),
        ({"name": "vm", "scope": "hosts"}, "at least one host"),
        ({"name": "vm", "scope": "full", "networks": "10.0.0.0/99"}, "is not a network"),
        ({"name": "vm", "scope": "full", "expires_days": "0"}, "greater than or equal to 1"),
        ({"name": "vm", "scope": "root"}, "Select a valid choice"),
    ],
)
def test_the_form_explains_what_is_wrong(alice_client, data, message):
    response = alice_client.post("/tokens/add/", data)
    assert response.status_code == 200
    assert message in body(response)
    assert not ApiToken.objects.exists()


def test_bobs_hosts_are_not_offered_to_alice(alice_client, bob, make_host):
    theirs, _ = make_host(owner=bob)
    assert theirs.fqdn not in body(alice_client.get("/tokens/add/"))
    response = alice_client.post(
        "/tokens/add/", {"name": "x", "scope": "hosts", "hosts": [theirs.pk]}
    )
    assert "Select a valid choice" in body(response)
    assert not ApiToken.objects.exists()


def test_alice_revokes_a_token(alice, alice_client):
    token, _raw = token_create(owner=alice, name="old laptop")
    response = alice_client.post(f"/tokens/{token.pk}/revoke/", follow=True)
    assert "was revoked" in body(response)
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_revoking_needs_a_post(alice, alice_client):
    token, _raw = token_create(owner=alice, name="x")
    assert alice_client.get(f"/tokens/{token.pk}/revoke/").status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_needs_the_csrf_token(alice):
    token, _raw = token_create(owner=alice, name="x")
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(f"/tokens/{token.pk}/revoke/").status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_bob_gets_404_on_alices_token(alice, bob_client):
    token, _raw = token_create(owner=alice, name="x")
    assert bob_client.post(f"/tokens/{token.pk}/revoke/").status_code == 404
    assert "x" not in body(bob_client.get("/tokens/")).split("<main>")[1].split("</table>")[0]
    token.refresh_from_db()
    assert token.revoked_at is None


def test_strangers_are_sent_to_log_in(client, db):
    assert client.get("/tokens/").status_code == 302
    assert client.post("/tokens/add/", {"name": "x"}).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_a_token_made_in_the_browser_updates_its_host_until_revoked(
    page, alice, make_host, bind, live_server, log_in, screenshot
):
    # Last in the module: from here on the browser's event loop runs on the test thread.
    host, _ = make_host(label=unique_label("vm"))
    log_in(alice)
    page.goto("/hosts/")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_role("link", name="Create a token").click()
    page.get_by_role("textbox", name="Name:").fill("web VM")
    page.get_by_label("named hosts only").check()
    page.get_by_label(host.fqdn).check()
    page.get_by_role("button", name="Create token").click()
    raw = page.get_by_label("Token").input_value()
    assert raw.startswith("ddns_")
    screenshot("token-created")

    def update() -> requests.Response:
        return requests.get(
            f"{live_server.url}/nic/update",
            params={"hostname": host.fqdn, "myip": "192.0.2.60"},
            headers={"Authorization": f"Bearer {raw}"},
            timeout=10,
        )

    assert update().text == "good 192.0.2.60\n"
    assert bind.lookup(host.fqdn) == ["192.0.2.60"]

    page.get_by_role("link", name="Go to your tokens").click()
    row = page.get_by_role("row", name=re.compile("web VM"))
    expect(row).to_contain_text(host.fqdn)
    expect(row).to_contain_text("ago")  # last used
    screenshot("token-list")
    row.get_by_role("button", name="Revoke web VM").click()
    expect(page.get_by_text("was revoked")).to_be_visible()
    expect(row).to_contain_text("revoked")
    assert update().status_code == 401
