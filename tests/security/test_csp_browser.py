"""The Content-Security-Policy in a real browser: no page of the portal, the failover pages
or the API documentation breaks a rule (Chromium reports every blocked script, style,
image or request on the console)."""

import pytest
from playwright.sync_api import Page

from tests.support.groups import Members
from tests.support.world import build_world

# The live server answers from another thread: the data must be committed.
pytestmark = pytest.mark.django_db(transaction=True)

PAGES = [
    "/",
    "/address/",
    "/hosts/",
    "/hosts/{host}/",
    "/hosts/add/",
    "/zones/",
    "/zones/{zone}/",
    "/ha/",
    "/ha/{group}/",
    "/ha/add/",
    "/tokens/",
    "/tokens/add/",
    "/accounts/login/",
    "/api/v1/docs/",
    "/api/v1/redoc/",
    "/api/v1/hosts/",
]


# drf-spectacular's ReDoc page links Google's fonts, and ReDoc draws its "powered by" logo
# from its CDN (late, after the page went idle): blocking them is the policy working
# (nothing is loaded from another site); the page falls back to local fonts, no logo.
INTENDED = ("https://fonts.googleapis.com/", "https://cdn.redoc.ly/")


def violations_on(page: Page, path: str) -> list[str]:
    found: list[str] = []

    def note(text: str) -> None:
        if "Content Security Policy" in text and not any(url in text for url in INTENDED):
            found.append(text)

    def listener(message) -> None:
        note(message.text)

    page.on("console", listener)
    try:
        page.goto(path)
        page.wait_for_load_state("networkidle")
    finally:
        page.remove_listener("console", listener)
    return found


def test_no_page_breaks_the_content_security_policy(page, log_in, bind, alice, settings):
    settings.DDNS_HA_PRIVATE_TARGETS = True
    members = Members(2)
    try:
        world = build_world(bind, alice, members)
        log_in(alice)
        for path in PAGES:
            url = path.format(**world.ids())
            assert violations_on(page, url) == [], url
    finally:
        members.stop()
