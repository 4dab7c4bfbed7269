"""The protocol's pure functions: parsing and rendering, no database, no DNS."""

import base64

import pytest

from domains.names import Addresses, BadAddress
from dyndns2 import protocol as dyndns2
from dyndns2.protocol import Line


def test_credentials_come_from_the_basic_header_first():
    header = "Basic " + base64.b64encode(b"h.dyn.test:s3cret:with:colons").decode()
    creds = dyndns2.credentials(header, {"username": "x.dyn.test", "password": "y"})
    assert creds == dyndns2.Credentials("h.dyn.test", "s3cret:with:colons")


def test_credentials_fall_back_to_query_parameters():
    creds = dyndns2.credentials(None, {"username": "h.dyn.test", "password": "p"})
    assert creds == dyndns2.Credentials("h.dyn.test", "p")


@pytest.mark.parametrize("query", [{}, {"username": "h.dyn.test"}, {"password": "p"}])
def test_credentials_are_none_when_incomplete(query):
    assert dyndns2.credentials(None, query) is None


def test_hostnames_default_to_the_username_and_keep_order():
    assert dyndns2.hostnames(None, "H.Dyn.Test.") == ["h.dyn.test"]
    assert dyndns2.hostnames("b.test, A.test.", "x.test") == ["b.test", "a.test"]
    assert dyndns2.hostnames(",,", "x.test") == ["x.test"]


def test_requested_addresses_merges_all_parameters():
    query = {"myip": "192.0.2.1", "myipv6": "2001:db8::1"}
    assert dyndns2.requested_addresses(query, "198.51.100.1") == Addresses(
        "192.0.2.1", "2001:db8::1"
    )


def test_requested_addresses_uses_the_client_when_none_given():
    assert dyndns2.requested_addresses({"myip": ""}, "2001:db8::5") == Addresses(
        None, "2001:db8::5"
    )


def test_requested_addresses_skips_unfilled_placeholders():
    query = {"myip": "<ipaddr>,2001:db8::7"}
    assert dyndns2.requested_addresses(query, None) == Addresses(None, "2001:db8::7")


def test_requested_addresses_refuses_two_of_one_family():
    with pytest.raises(BadAddress, match="two different IPv4"):
        dyndns2.requested_addresses({"myip": "192.0.2.1", "myipv4": "192.0.2.2"}, None)


def test_lines_render_and_pick_a_status():
    ok = [Line(dyndns2.NOHOST), Line(dyndns2.GOOD, "192.0.2.1")]
    assert dyndns2.render(ok) == "nohost\ngood 192.0.2.1\n"
    assert dyndns2.http_status(ok) == 200
    assert dyndns2.http_status([Line(dyndns2.BADAUTH)]) == 401
    assert dyndns2.http_status([Line(dyndns2.SERVICE_PROBLEM)]) == 503
    assert Line(dyndns2.BADREQUEST).render() == "dnserr"
    assert dyndns2.http_status([Line(dyndns2.BADREQUEST)]) == 400
