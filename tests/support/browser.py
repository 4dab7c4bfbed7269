"""Browser fixtures (a pytest plugin, see tests/conftest.py): Debian's headless Chromium
driven by Playwright against the live server.

Everything runs on loopback: pytest-django's live server on 127.0.0.1, the session's real
named, and a local OpenID Connect provider (oidc-provider on Node, see oidc/server.mjs).
"""

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client
from playwright.sync_api import Browser, Page, Route, sync_playwright

from tests.support.tools import require_tool

CHROMIUM = "/usr/bin/chromium"
# Debian's Chromium in a container: no sandbox or GPU, a small /dev/shm, and none of the
# background calls home that would only wait on the closed network.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Short enough that a missing element fails the test quickly, long enough for a DNS update.
TIMEOUT_MS = 10_000
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
OIDC_DIR = Path(__file__).resolve().parents[1] / "portal" / "oidc"
OIDC_PROVIDER_ID = "local-oidc"


def pytest_configure(config: pytest.Config) -> None:
    # OAuth redirect URIs compare host names exactly, so the browser, the provider and the
    # live server must all say 127.0.0.1, never localhost. The live server is one per session
    # and may be started by an earlier test, so its address is fixed here, before any test
    # runs, unless the command line (--liveserver) or the environment already chose one.
    if not config.getoption("liveserver") and not os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS"):
        config.option.liveserver = "127.0.0.1"


@pytest.fixture(scope="module")
def _async_unsafe_allowed() -> Iterator[None]:
    # Playwright's sync API keeps an asyncio event loop running on the test thread while the
    # browser is open, and Django then refuses every ORM call from that thread (fixtures
    # included) as "async unsafe". Nothing here shares a connection with that loop, so the
    # check is switched off, for the browser tests only, for exactly as long as it runs.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


# Per module: while it is open, Playwright's event loop runs on the test thread, and the
# other tests of a package (asyncio.run in the health probes) must not find it there.
@pytest.fixture(scope="module")
def browser(_async_unsafe_allowed, live_server) -> Iterator[Browser]:
    assert urlsplit(live_server.url).hostname == "127.0.0.1", (
        f"the browser tests need the live server on 127.0.0.1, not {live_server.url}"
    )
    executable = require_tool(CHROMIUM, "chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def _loopback_only(route: Route) -> None:
    # A page that pulls a font or script from the Internet would otherwise hang on the closed
    # network until the timeout; refused at once, it fails fast or renders without it.
    if urlsplit(route.request.url).hostname in LOOPBACK:
        route.continue_()
    else:
        route.abort("blockedbyclient")


@pytest.fixture
def page(browser, live_server) -> Iterator[Page]:
    """A fresh browser profile (no cookies) whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    context.route("**/*", _loopback_only)
    page = context.new_page()
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    yield page
    context.close()
    assert not script_errors, f"JavaScript errors on the pages: {script_errors}"


@pytest.fixture
def screenshot(page) -> Callable[[str], None]:
    """Save the whole page as test-artifacts/screenshots/<name>.png, for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> None:
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)

    return take


@pytest.fixture
def log_in(page, live_server) -> Callable:
    """Log a user in by handing the browser a session cookie: faster than the login form,
    which has a test of its own."""

    def as_user(user) -> None:
        client = Client()
        client.force_login(user)
        session = client.cookies["sessionid"].value
        page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])

    return as_user


@dataclass(frozen=True)
class OidcProvider:
    issuer: str
    client_id: str
    secret: str


@pytest.fixture(scope="package")
def oidc_provider(live_server, tmp_path_factory) -> Iterator[OidcProvider]:
    """oidc-provider on a free port of 127.0.0.1, with one client that returns to the portal."""
    node = require_tool("node", "nodejs")
    npm = require_tool("npm", "npm")
    if not (OIDC_DIR / "node_modules").is_dir():
        # The exact versions of package-lock.json; the npm registry is reachable in CI.
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=OIDC_DIR, check=True, timeout=300
        )
    client_id, secret = "ddns-portal", "browser-test-secret"
    callback = f"{live_server.url}/accounts/oidc/{OIDC_PROVIDER_ID}/login/callback/"
    log = tmp_path_factory.mktemp("oidc") / "stderr.log"
    with log.open("w") as stderr:
        # stdin stays open as a lifeline: the server exits when it closes, even if pytest dies.
        process = subprocess.Popen(
            [node, "server.mjs"],
            cwd=OIDC_DIR,
            env={
                **os.environ,
                "OIDC_CLIENT_ID": client_id,
                "OIDC_CLIENT_SECRET": secret,
                "OIDC_REDIRECT_URI": callback,
            },
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        # server.mjs prints "ready <issuer>" once it listens: no sleeping, no port race.
        first_line = process.stdout.readline().split()
        if first_line[:1] != ["ready"]:
            pytest.fail(f"the OpenID Connect provider did not start:\n{log.read_text()}")
        yield OidcProvider(issuer=first_line[1], client_id=client_id, secret=secret)
    finally:
        process.stdin.close()
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def oidc_login(settings, oidc_provider) -> OidcProvider:
    """The portal offers login through the local provider, configured as DDNS_OIDC_PROVIDERS
    would configure it (settings are shared with the live server's thread)."""
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": OIDC_PROVIDER_ID,
                    "name": "Local OIDC",
                    "client_id": oidc_provider.client_id,
                    "secret": oidc_provider.secret,
                    "settings": {"server_url": oidc_provider.issuer},
                }
            ]
        }
    }
    return oidc_provider
