"""A client written to the published call sequence of the fedcloud dynamic DNS, as the
Infrastructure Manager's EGI DNS connector calls it (grycap/im, IM/connectors/EGI.py):
list the zones, look for the host, register it, update it by Basic (the update secret)
and by Bearer (the same OpenID Connect access token), list, unregister. Over real HTTP
against the live server, with a token from the local provider and answers read back
from the real named."""

import base64

import pytest
import requests

from accounts import tokens
from tests.support.bind import unique_label
from tests.support.oidc import access_token, callback_url

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 10  # the connector's DEFAULT_TIMEOUT


class FedcloudDns:
    """The calls as the connector makes them: GET, Bearer header, JSON with "status"."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.bearer = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params) -> dict:
        response = requests.get(
            f"{self.url}{path}", params=params, headers=self.bearer, timeout=TIMEOUT
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["status"] == "ok", answer
        return answer

    def available_domains(self) -> list[str]:
        answer = self.get("/nic/domains")
        return [d["name"] for d in answer["private"] + answer["public"] if d["available"]]

    def host(self, name: str, domain: str) -> dict | None:
        hosts = self.get("/nic/hosts", domain=domain)["hosts"]
        return next((host for host in hosts if host["name"] == name), None)

    def update(self, fqdn: str, ip: str, headers: dict[str, str]) -> str:
        response = requests.get(
            f"{self.url}/nic/update",
            params={"hostname": fqdn, "myip": ip},
            headers=headers,
            timeout=TIMEOUT,
        )
        assert response.status_code == 200, response.text
        return response.text


def basic_header(fqdn: str, secret: str) -> dict[str, str]:
    auth = base64.b64encode(f"{fqdn}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {auth}"}


@pytest.fixture
def federated(oidc_login, live_server, domain) -> FedcloudDns:
    token = access_token(oidc_login, "ivan", callback_url(live_server.url))
    return FedcloudDns(live_server.url, token)


def test_the_published_call_sequence(federated, bind):
    dyn = federated
    label = unique_label("vm")
    fqdn = f"{label}.dyn.test"

    assert "dyn.test" in dyn.available_domains()
    assert dyn.host(label, "dyn.test") is None
    registered = dyn.get("/nic/register", fqdn=fqdn, comment="IM created DNS entry")
    secret = registered["host"]["update_secret"]

    assert dyn.update(fqdn, "192.0.2.71", basic_header(fqdn, secret)) == "good 192.0.2.71\n"
    assert bind.lookup(fqdn) == ["192.0.2.71"]
    # The same OpenID Connect access token updates the host without its secret.
    assert dyn.update(fqdn, "192.0.2.72", dyn.bearer) == "good 192.0.2.72\n"
    assert bind.lookup(fqdn) == ["192.0.2.72"]

    listed = dyn.host(label, "dyn.test")
    assert listed is not None
    assert (listed["ipv4"], listed["comment"]) == ("192.0.2.72", "IM created DNS entry")
    assert "update_secret" not in listed

    unregistered = dyn.get("/nic/unregister", fqdn=fqdn)
    assert unregistered["message"] == "Host unregistered."
    assert bind.lookup(fqdn) == []
    assert dyn.host(label, "dyn.test") is None


def test_the_connectors_wildcard_entry(federated, bind):
    # The connector asks for hostname "*" in domain "<label>.dyn.test": it registers
    # <label> with wildcard=true and updates the plain name.
    dyn = federated
    label = unique_label("k8s")
    fqdn = f"{label}.dyn.test"

    dyn.get("/nic/register", fqdn=fqdn, comment="IM created DNS entry", wildcard="true")
    assert dyn.update(fqdn, "192.0.2.73", dyn.bearer) == "good 192.0.2.73\n"

    assert bind.lookup(f"*.{fqdn}") == ["192.0.2.73"]
    assert bind.lookup(f"ingress.{fqdn}") == ["192.0.2.73"]
    assert dyn.host(label, "dyn.test")["wildcard"] is True
    dyn.get("/nic/unregister", fqdn=fqdn)
    assert bind.lookup(f"ingress.{fqdn}") == []


def test_the_update_urls_of_the_answer_work_as_given(federated, bind):
    dyn = federated
    fqdn = f"{unique_label('url')}.dyn.test"
    host = dyn.get("/nic/register", fqdn=fqdn, ip="192.0.2.74")["host"]
    assert bind.lookup(fqdn) == ["192.0.2.74"]

    # Credentials in the URL's userinfo, as browsers and scripts send them.
    with_secret = requests.get(
        host["IPv4_update_url_basic_auth"], params={"myip": "192.0.2.75"}, timeout=TIMEOUT
    )
    assert with_secret.text == "good 192.0.2.75\n"
    with_token = requests.get(
        host["IPv4_update_url_bearer_auth"].replace("${myip}", "192.0.2.76"),
        headers=dyn.bearer,
        timeout=TIMEOUT,
    )
    assert with_token.text == "good 192.0.2.76\n"
    assert bind.lookup(fqdn) == ["192.0.2.76"]
    dyn.get("/nic/unregister", fqdn=fqdn)


def test_a_personal_api_token_drives_the_same_calls(live_server, domain, alice, bind):
    _, raw = tokens.token_create(owner=alice, name="IM", scope="full")
    dyn = FedcloudDns(live_server.url, raw)
    fqdn = f"{unique_label('pat')}.dyn.test"

    secret = dyn.get("/nic/register", fqdn=fqdn)["host"]["update_secret"]
    assert dyn.update(fqdn, "192.0.2.77", basic_header(fqdn, secret)) == "good 192.0.2.77\n"
    assert dyn.update(fqdn, "192.0.2.78", dyn.bearer) == "good 192.0.2.78\n"
    new_secret = dyn.get("/nic/generate_secret", fqdn=fqdn)["secret"]
    assert dyn.update(fqdn, "192.0.2.79", basic_header(fqdn, new_secret)) == "good 192.0.2.79\n"
    dyn.get("/nic/unregister", fqdn=fqdn)
    assert bind.lookup(fqdn) == []
