"""A real ACME client gets a real certificate through the service: Debian's lego (httpreq
provider) against Debian's pebble (an ACME test CA) resolving through the test named.

lego presents both challenge values (host and *.host) at the same name through the live
server, pebble reads them from named, and the issued certificate names both.
"""

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
from cryptography import x509

from devtools import named
from domains import dns, services
from domains.models import AcmeChallenge
from tests.support.bind import make_domain, unique_label
from tests.support.tools import require_tool

pytestmark = [pytest.mark.interop, pytest.mark.django_db(transaction=True)]

ISSUANCE_TIMEOUT = 180


def make_tls(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a certificate for localhost / 127.0.0.1, for pebble's own listener."""
    ca_key, ca = directory / "ca.key", directory / "ca.pem"
    key, csr, cert = directory / "key.pem", directory / "cert.csr", directory / "cert.pem"
    ext = directory / "ext.cnf"
    ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            "/CN=test CA", "-keyout", str(ca_key), "-out", str(ca))  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
            "-keyout", str(key), "-out", str(csr))  # fmt: skip
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
            "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(cert))  # fmt: skip
    return ca, cert, key


@pytest.fixture
def pebble(tmp_path, bind):
    """pebble on free loopback ports, validating DNS-01 against the test named."""
    command = require_tool("pebble", "pebble")
    require_tool("openssl", "openssl")
    ca, cert, key = make_tls(tmp_path)
    port, management = named.free_port(), named.free_port()
    config = tmp_path / "pebble.json"
    config.write_text(
        json.dumps(
            {
                "pebble": {
                    "listenAddress": f"127.0.0.1:{port}",
                    "managementListenAddress": f"127.0.0.1:{management}",
                    "certificate": str(cert),
                    "privateKey": str(key),
                    "httpPort": named.free_port(),
                    "tlsPort": named.free_port(),
                    "ocspResponderURL": "",
                    "externalAccountBindingRequired": False,
                }
            }
        )
    )
    env = os.environ | {
        "PEBBLE_VA_NOSLEEP": "1",
        "PEBBLE_VA_ALWAYS_VALID": "0",
        "PEBBLE_WFE_NONCEREJECT": "0",
        "PEBBLE_AUTHZREUSE": "0",
    }
    log = (tmp_path / "pebble.log").open("w")
    process = subprocess.Popen(
        [command, "-config", str(config), "-dnsserver", f"127.0.0.1:{bind.port}"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    _wait_for_port(port)
    yield {"directory": f"https://127.0.0.1:{port}/dir", "ca": ca}
    process.terminate()
    process.wait(timeout=10)
    log.close()
    print((tmp_path / "pebble.log").read_text())


def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"pebble did not listen on port {port}")


def run_lego(tmp_path, pebble, bind, endpoint, username, password, names):
    lego = require_tool("lego", "lego")
    env = os.environ | {
        "LEGO_CA_CERTIFICATES": str(pebble["ca"]),
        "HTTPREQ_ENDPOINT": endpoint,
        "HTTPREQ_USERNAME": username,
        "HTTPREQ_PASSWORD": password,
        "HTTPREQ_POLLING_INTERVAL": "1",
        "HTTPREQ_PROPAGATION_TIMEOUT": "60",
    }
    command = [lego, "--path", str(tmp_path / "lego"), "--server", pebble["directory"],
               "--email", "alice@example.test", "--accept-tos", "--dns", "httpreq",
               "--dns.resolvers", f"127.0.0.1:{bind.port}", "--dns.disable-cp"]  # fmt: skip
    for name in names:
        command += ["-d", name]
    result = subprocess.run(
        [*command, "run"], env=env, capture_output=True, text=True, timeout=ISSUANCE_TIMEOUT
    )
    print(f"$ {' '.join(command)} run\nexit status {result.returncode}")
    print(f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}")
    return result


def test_lego_gets_a_certificate_for_a_host_and_its_wildcard(
    tmp_path, live_server, pebble, bind, alice
):
    domain = make_domain(bind)
    host, secret = services.host_register(
        domain=domain, label=unique_label("acme"), owner=alice, wildcard=True
    )
    wanted = [host.fqdn, f"*.{host.fqdn}"]

    result = run_lego(
        tmp_path, pebble, bind, f"{live_server.url}/acme/httpreq", host.fqdn, secret, wanted
    )

    assert result.returncode == 0, "lego failed; its output is above"
    pem = (tmp_path / "lego" / "certificates" / f"{host.fqdn}.crt").read_bytes()
    certificate = x509.load_pem_x509_certificates(pem)[0]
    san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert sorted(san.value.get_values_for_type(x509.DNSName)) == sorted(wanted)
    # lego cleaned up: nothing is left in the database or in DNS.
    assert not AcmeChallenge.objects.filter(host=host).exists()
    assert bind.lookup(dns.challenge_name(host.fqdn), "TXT") == []


def test_lego_is_refused_for_a_host_the_secret_does_not_cover(
    tmp_path, live_server, pebble, bind, alice
):
    domain = make_domain(bind)
    host, secret = services.host_register(domain=domain, label=unique_label("acme"), owner=alice)
    other, _ = services.host_register(domain=domain, label=unique_label("acme"), owner=alice)

    result = run_lego(
        tmp_path, pebble, bind, f"{live_server.url}/acme/httpreq", host.fqdn, secret, [other.fqdn]
    )

    assert result.returncode != 0
    assert "403" in result.stdout + result.stderr
    assert not AcmeChallenge.objects.exists()
