"""Real dyndns2 clients (Debian's ddclient and inadyn) against the service on a live server.

Each client runs once in the foreground with a config written to a temp dir, talks plain
HTTP to the live server on 127.0.0.1, and the result is checked in the real BIND.
"""

import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.tools import require_tool

pytestmark = [pytest.mark.interop, pytest.mark.django_db(transaction=True)]

CLIENT_TIMEOUT = 60


@pytest.fixture
def server(live_server) -> str:
    """host:port of the live server. The clients are told 127.0.0.1 (see TESTING.md)."""
    url = urlsplit(live_server.url)
    # pytest-django's default "localhost" binds IPv4 only, so 127.0.0.1 reaches it too.
    assert url.hostname in ("127.0.0.1", "localhost"), live_server.url
    return f"127.0.0.1:{url.port}"


def run(command: list[str]) -> subprocess.CompletedProcess:
    """Run a client once; its output is printed so a failing test shows what it said."""
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=CLIENT_TIMEOUT, check=False
    )
    print(f"$ {' '.join(command)}\nexit status {result.returncode}")
    print(f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}")
    return result


def output(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


# --- ddclient ---------------------------------------------------------------------------


def run_ddclient(tmp_path: Path, server: str, fqdn: str, secret: str, ipv4: str):
    ddclient = require_tool("ddclient", "ddclient")
    conf = tmp_path / "ddclient.conf"
    conf.write_text(
        "\n".join(
            [
                "daemon=0",
                "ssl=no",
                "protocol=dyndns2",
                f"server={server}",
                f"login={fqdn}",
                f"password='{secret}'",
                "use=no",
                "usev4=ipv4",
                f"ipv4={ipv4}",
                fqdn,
                "",
            ]
        )
    )
    conf.chmod(0o600)  # ddclient warns about readable config files holding passwords
    return run(
        [
            ddclient,
            "-daemon=0",
            "-foreground",
            "-verbose",
            "-noquiet",
            "-force",
            "-file",
            str(conf),
            "-cache",
            str(tmp_path / "ddclient.cache"),
        ]
    )


def test_ddclient_updates_a_host(tmp_path, server, make_host, bind):
    host, secret = make_host()
    result = run_ddclient(tmp_path, server, host.fqdn, secret, "192.0.2.41")
    assert result.returncode == 0
    assert f"SUCCESS:  updating {host.fqdn}: good: IP address set to 192.0.2.41" in output(result)
    assert bind.lookup(host.fqdn, "A") == ["192.0.2.41"]
    host.refresh_from_db()
    assert host.ipv4 == "192.0.2.41"
    assert host.ipv4_user_agent.startswith("ddclient/")


def test_ddclient_with_a_wrong_password_changes_nothing(tmp_path, server, make_host, bind):
    host, secret = make_host()
    result = run_ddclient(tmp_path, server, host.fqdn, secret + "-wrong", "192.0.2.42")
    assert result.returncode != 0 or "FAILED" in output(result)
    assert "SUCCESS" not in output(result)
    assert bind.lookup(host.fqdn, "A") == []
    host.refresh_from_db()
    assert host.ipv4 is None
    assert host.auth_faults >= 1


# --- inadyn -----------------------------------------------------------------------------


def run_inadyn(tmp_path: Path, server: str, fqdn: str, secret: str, address: str, ipv6=False):
    inadyn = require_tool("inadyn", "inadyn")
    conf = tmp_path / "inadyn.conf"
    conf.write_text(
        f"""\
period = 300
allow-ipv6 = {"true" if ipv6 else "false"}
# The test addresses are documentation ranges, which inadyn refuses by default.
verify-address = false
custom test {{
    ssl = false
    username = {fqdn}
    password = {secret}
    ddns-server = {server}
    ddns-path = "/nic/update?hostname=%h&myip=%i"
    hostname = {fqdn}
    checkip-command = "/bin/echo {address}"
}}
"""
    )
    conf.chmod(0o600)
    cache = tmp_path / "inadyn-cache"
    cache.mkdir()
    return run(
        [
            inadyn,
            "--once",
            "--force",
            "--foreground",
            "-l",
            "debug",
            "-f",
            str(conf),
            f"--cache-dir={cache}",
            "-P",
            str(tmp_path / "inadyn.pid"),
        ]
    )


def test_inadyn_updates_a_host(tmp_path, server, make_host, bind):
    host, secret = make_host()
    result = run_inadyn(tmp_path, server, host.fqdn, secret, "192.0.2.50")
    assert result.returncode == 0
    assert bind.lookup(host.fqdn, "A") == ["192.0.2.50"]
    host.refresh_from_db()
    assert host.ipv4 == "192.0.2.50"
    assert host.ipv4_user_agent.startswith("inadyn/")


def test_inadyn_updates_an_ipv6_address(tmp_path, server, make_host, bind):
    host, secret = make_host()
    result = run_inadyn(tmp_path, server, host.fqdn, secret, "2001:db8::50", ipv6=True)
    assert result.returncode == 0
    assert bind.lookup(host.fqdn, "AAAA") == ["2001:db8::50"]
    assert bind.lookup(host.fqdn, "A") == []
    host.refresh_from_db()
    assert host.ipv6 == "2001:db8::50"


def test_inadyn_with_a_wrong_password_changes_nothing(tmp_path, server, make_host, bind):
    host, secret = make_host()
    result = run_inadyn(tmp_path, server, host.fqdn, secret + "-wrong", "192.0.2.51")
    # inadyn treats a 401 as a fatal authentication error.
    assert result.returncode != 0
    assert bind.lookup(host.fqdn, "A") == []
    host.refresh_from_db()
    assert host.ipv4 is None
