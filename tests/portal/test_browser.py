"""The portal in a real browser: what a person sees and clicks, end to end.

Headless Debian Chromium (Playwright) against the live server on 127.0.0.1, the session's
real named, and a local OpenID Connect provider. The unit-level checks of each page live
in tests/domains/test_portal.py; these tests follow whole journeys through them.
"""

import re

import pytest
import requests
from allauth.account.models import EmailAddress
from playwright.sync_api import Page, expect

from tests.support.bind import ZONE, unique_label

# The live server answers from another thread, so the data must be committed, not held in a
# test transaction that only this thread sees.
pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery-9"
CONFIRMATION_LINK = re.compile(r"https?://\S+/accounts/confirm-email/\S+/")


def sign_up(page: Page, username: str, email: str) -> None:
    page.goto("/")
    page.get_by_role("main").get_by_role("link", name="Sign up").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()


def confirmation_link(mailoutbox, email: str) -> str:
    # The live server runs in a thread of this process, so its mail lands in this outbox.
    (message,) = [m for m in mailoutbox if email in m.to]
    return CONFIRMATION_LINK.search(message.body).group(0)


def log_in_with_password(page: Page, username: str) -> None:
    page.get_by_label("Login").fill(username)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def add_host(page: Page, label: str, comment: str = "") -> None:
    page.goto("/hosts/")
    page.get_by_role("link", name="Add a host").click()
    page.get_by_label("Name").fill(label)
    page.get_by_label("Comment").fill(comment)
    page.get_by_role("button", name="Add host").click()


def dyndns2_update(base_url: str, fqdn: str, secret: str, address: str) -> str:
    """What a router's dyndns2 client does: one GET with basic auth."""
    response = requests.get(
        f"{base_url}/nic/update",
        params={"hostname": fqdn, "myip": address},
        auth=(fqdn, secret),
        headers={"User-Agent": "browser-test-router/1.0"},
        timeout=10,
    )
    return response.text


def test_a_newcomer_signs_up_adds_a_host_and_sees_a_router_update_it(
    page, live_server, domain, bind, mailoutbox, screenshot
):
    username = unique_label("newcomer")
    email = f"{username}@example.org"
    sign_up(page, username, email)
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()

    page.goto(confirmation_link(mailoutbox, email))
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    screenshot("login")

    log_in_with_password(page, username)
    expect(page).to_have_url(re.compile(r"/hosts/$"))
    expect(page.get_by_text("You have no hosts yet.")).to_be_visible()

    label = unique_label("laptop")
    fqdn = f"{label}.{ZONE}"
    add_host(page, label, comment="the laptop in the kitchen")
    expect(page.get_by_role("heading", name=fqdn, exact=True)).to_be_visible()
    screenshot("host-secret")
    # The secret is shown once, in a read-only field: take it the way a person would copy it.
    secret = page.get_by_label("Secret").input_value()
    assert len(secret) >= 20

    page.get_by_role("link", name="Go to the host").click()
    expect(page.get_by_text("No updates yet.")).to_be_visible()

    assert dyndns2_update(live_server.url, fqdn, secret, "192.0.2.77") == "good 192.0.2.77\n"
    page.reload()
    expect(page.locator("table.addresses td.ipv4")).to_have_text("192.0.2.77")
    history_row = page.locator("table.history tbody tr")
    expect(history_row).to_have_count(1)
    expect(history_row).to_contain_text("192.0.2.77")
    expect(history_row).to_contain_text("browser-test-router/1.0")
    expect(history_row).to_contain_text("good")
    screenshot("host-detail")
    assert bind.lookup(fqdn) == ["192.0.2.77"]

    page.get_by_role("link", name="Hosts", exact=True).click()
    host_row = page.locator("table.hosts tbody tr", has_text=fqdn)
    expect(host_row).to_contain_text("192.0.2.77")
    screenshot("host-list")

    page.goto("/")
    screenshot("home")


def test_the_copy_button_puts_the_secret_on_the_clipboard(page, domain, alice, log_in):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(alice)
    add_host(page, unique_label("copy"))
    secret = page.get_by_label("Secret").input_value()

    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == secret


HOSTILE = '<script>alert("xss")</script><img src=x onerror=alert(1)>'


def test_hostile_text_in_the_add_host_form_is_shown_as_plain_text(page, domain, alice, log_in):
    # An alert() that runs would show up here: nothing may ever open a dialog.
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(alice)

    add_host(page, HOSTILE)
    expect(page.get_by_text("letters, digits or hyphens")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value(HOSTILE)

    label = unique_label("hostile")
    page.get_by_label("Name").fill(label)
    page.get_by_label("Comment").fill(HOSTILE)
    page.get_by_role("button", name="Add host").click()
    page.get_by_role("link", name="Go to the host").click()
    expect(page.get_by_role("heading", name=f"{label}.{ZONE}", exact=True)).to_be_visible()

    expect(page.get_by_text(HOSTILE)).to_be_visible()
    assert page.locator("main script, main img").count() == 0
    assert dialogs == []


def test_a_person_logs_in_through_the_openid_connect_provider_and_lands_on_hosts(page, oidc_login):
    subject = unique_label("federated")
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Local OIDC").click()
    # First confirmation: allauth starts the login only on a POST.
    page.get_by_role("button", name="Continue").click()

    # oidc-provider's development pages: any login name and password; the name is `sub`.
    page.locator("input[name=login]").fill(subject)
    page.locator("input[name=password]").fill("anything")
    page.get_by_role("button", name="Sign-in").click()
    # Second confirmation: the provider's consent to share the e-mail address.
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(re.compile(r"/hosts/$"))
    expect(page.get_by_role("heading", name="Your hosts")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    # The provider vouched for the address, so the mandatory verification was satisfied.
    assert EmailAddress.objects.filter(email=f"{subject}@example.org", verified=True).exists()
