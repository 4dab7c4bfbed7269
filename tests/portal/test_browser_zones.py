"""Bringing your own zone in a real browser: the connectivity test fails, then passes."""

import pytest
from playwright.sync_api import Page, expect

from domains import crypto
from domains.models import Domain
from tests.support.bind import KEY_NAME, ZONE

pytestmark = pytest.mark.django_db(transaction=True)


def fill_zone_form(page: Page, bind, secret: str) -> None:
    page.get_by_label("Zone").fill(ZONE)
    page.get_by_label("Primary name server").fill("127.0.0.1")
    page.get_by_label("Port").fill(str(bind.port))
    page.get_by_label("TSIG key name").fill(KEY_NAME)
    page.get_by_label("TSIG algorithm").select_option("hmac-sha256")
    page.get_by_label("TSIG secret").fill(secret)
    page.get_by_role("button", name="Test and save").click()


def test_a_zone_with_a_wrong_key_is_refused_then_saved_with_the_right_one(
    page, bind, alice, log_in, screenshot
):
    log_in(alice)
    page.goto("/zones/")
    page.get_by_role("link", name="Add a zone").click()

    fill_zone_form(page, bind, crypto.new_tsig_secret())
    expect(page.get_by_text("Connectivity test failed")).to_be_visible()
    expect(page.get_by_text("rejected the TSIG key")).to_be_visible()
    screenshot("zone-add-failed")
    assert not Domain.objects.filter(name=ZONE).exists()

    fill_zone_form(page, bind, bind.secret)
    expect(page.get_by_text("the test update succeeded")).to_be_visible()
    expect(page.get_by_role("heading", name=ZONE)).to_be_visible()
    screenshot("zone-detail")
    assert Domain.objects.get(name=ZONE).owner == alice


def test_an_empty_secret_is_generated_with_the_bind_snippet(page, bind, alice, log_in):
    log_in(alice)
    page.goto("/zones/add/")
    fill_zone_form(page, bind, "")
    expect(page.locator("#snippet")).to_contain_text("update-policy")
    generated = page.get_by_label("TSIG secret").input_value()
    assert generated and generated in page.locator("#snippet").inner_text()


def test_an_operator_sees_the_status_page(page, django_user_model, log_in, screenshot):
    olga = django_user_model.objects.create_user("olga", "olga@example.org", "x", is_staff=True)
    log_in(olga)
    page.goto("/")
    page.get_by_role("link", name="Status").click()
    expect(page.get_by_role("heading", name="Service status")).to_be_visible()
    screenshot("status")
