"""The talk's Vault example in a real browser: make the group, watch it fail over and back."""

import threading

import pytest
from playwright.sync_api import expect

from tests.support.bind import unique_label
from tests.support.groups import check

pytestmark = pytest.mark.django_db(transaction=True)


def check_aside(times: int = 1) -> None:
    """Check rounds run their probes on an event loop of their own; Playwright's sync API
    keeps one running on the test's thread, so the rounds run on another."""
    worker = threading.Thread(target=check, args=(times,))
    worker.start()
    worker.join()


def test_alice_watches_her_vault_group_fail_over_and_back(
    page, alice, make_host, members, bind, log_in, screenshot, settings
):
    settings.DDNS_HA_PRIVATE_TARGETS = True
    generic, _ = make_host(label=unique_label("vault"))
    log_in(alice)
    page.goto("/ha/")
    page.get_by_role("link", name="New group").click()
    page.get_by_label("Generic name").select_option(label=generic.fqdn)
    page.get_by_label("Members:", exact=True).fill("192.0.2.21=127.0.0.21\n192.0.2.22=127.0.0.22")
    page.get_by_label("Check:", exact=True).select_option("http")
    page.get_by_label("Port:", exact=True).fill(str(members.port))
    page.get_by_label("Interval (s)").fill("1")
    page.get_by_label("Down after failures").fill("2")
    page.get_by_label("Up after successes").fill("1")
    page.get_by_label("Hold-down (s)").fill("0")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("X-DDNS-Signature")).to_be_visible()
    page.get_by_role("link", name="Go to the group").click()
    expect(page.locator("#answer")).to_have_text("192.0.2.21")

    check_aside()
    members.answer(0, 503)
    check_aside(2)
    page.reload()
    expect(page.locator("#answer")).to_have_text("192.0.2.22")
    expect(page.locator("tr.event.failover")).to_have_count(1)
    expect(page.get_by_text("HTTP 503 from 127.0.0.21").first).to_be_visible()
    screenshot("ha-group-failover")
    assert bind.lookup(generic.fqdn) == ["192.0.2.22"]

    members.answer(0, 200)
    check_aside()
    page.reload()
    expect(page.locator("#answer")).to_have_text("192.0.2.21")
    expect(page.locator("tr.event.recovery")).to_have_count(1)
    screenshot("ha-group-recovered")
