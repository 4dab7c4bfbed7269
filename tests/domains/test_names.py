"""Names and addresses: syntax, parsing, the record-type mapping. Pure functions."""

import pytest
from django.core.exceptions import ValidationError

from domains import names
from domains.names import Addresses, BadAddress


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("a.b", True),
        ("host.dyn.test", True),
        ("x" * 63 + ".test", True),
        ("x" * 64 + ".test", False),
        ("nodot", False),
        ("-a.test", False),
        ("a_b.test", False),
        ("hé.test", False),
        ("", False),
        ("a..test", False),
        (("a." * 127) + "test", False),
    ],
)
def test_is_fqdn(name, ok):
    assert names.is_fqdn(name) is ok


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("192.0.2.1", "192.0.2.1"),
        (" 2001:DB8::1 ", "2001:db8::1"),
        ("2001:db8:1:2::/64", "2001:db8:1:2::"),
        ("::ffff:192.0.2.9", "192.0.2.9"),
        ("[2001:db8::2]", "2001:db8::2"),
        ("192.0.2.3/24", "192.0.2.3"),
    ],
)
def test_parse_address_normalises_client_forms(text, expected):
    assert str(names.parse_address(text)) == expected


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "999.1.1.1", "1" * 100])
def test_parse_address_rejects_garbage(text):
    with pytest.raises(BadAddress):
        names.parse_address(text)


def test_check_publishable_names_the_reason():
    with pytest.raises(BadAddress, match="loopback"):
        names.check_publishable(Addresses("127.0.0.1"), ["is_loopback"])
    names.check_publishable(Addresses("192.0.2.1", "2001:db8::1"), ["is_loopback"])


def test_client_address_walks_forwarded_for_past_trusted_proxies():
    trusted = ["10.0.0.0/8", "2001:db8:ffff::/48"]
    assert names.client_address("10.0.0.1", "198.51.100.1, 10.2.2.2", trusted) == ("198.51.100.1")
    assert names.client_address("198.51.100.9", "203.0.113.1", trusted) == "198.51.100.9"
    assert names.client_address("10.0.0.1", "garbage", trusted) is None
    assert names.client_address("10.0.0.1", "10.3.3.3", trusted) == "10.0.0.1"
    assert names.client_address("::ffff:10.0.0.1", "192.0.2.1", trusted) == "192.0.2.1"


def test_addresses_map_to_record_types_and_back():
    assert Addresses("192.0.2.1", None).by_rdtype() == {"A": "192.0.2.1", "AAAA": None}
    assert Addresses.of("2001:db8::1") == Addresses(None, "2001:db8::1")
    assert names.field_of("AAAA") == "ipv6"
    assert names.rdtype_of("192.0.2.1") == "A"


@pytest.mark.parametrize("label", ["", "-a", "a-", "a_b", "x" * 64, "hé"])
def test_clean_label_refuses_what_dns_cannot_hold(label):
    with pytest.raises(ValidationError, match="letters, digits or hyphens"):
        names.clean_label(label)


def test_clean_label_normalises_case_and_spaces():
    assert names.clean_label(" MyHost ") == "myhost"


@pytest.mark.parametrize("secret", ["not base64!", "", "===="])
def test_clean_tsig_secret_wants_base64(secret):
    with pytest.raises(ValidationError, match="base64"):
        names.clean_tsig_secret(secret)
