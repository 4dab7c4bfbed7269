"""Property tests: whatever arrives at /nic/update or /nic/delete, the answer is dyndns2.

Requests are built the way a WSGI server hands them to Django: the query string and
header values are latin-1 strings made from arbitrary bytes. Some requests carry a real
host's credentials so the update and delete paths run all the way to BIND.
"""

import base64
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dyndns2 import update as nic

# Autocommit like production: a database error in one example must not poison the
# transaction the next example runs in.
pytestmark = pytest.mark.django_db(transaction=True)

# Sized so the file runs in about 25 s on SQLite or PostgreSQL.
FUZZ = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FOCUSED = settings(FUZZ, max_examples=200)

RESPONSE_WORDS = {
    "good",
    "nochg",
    "badauth",
    "notfqdn",
    "nohost",
    "numhost",
    "abuse",
    "badagent",
    "dnserr",
    "911",
    "deleted",
}
STATUSES = {200, 400, 401, 503}
PROTOCOL_KEYS = ["myip", "myipv4", "myipv6", "hostname", "username", "password"]
LEGACY_KEYS = ["system", "wildcard", "mx", "backmx", "offline"]


# --- Strategies -------------------------------------------------------------------------

raw_bytes = st.binary(max_size=80)
# What a WSGI server makes of arbitrary header or query bytes.
latin1 = raw_bytes.map(lambda b: b.decode("latin-1"))
# Documentation ranges often, so many requests are publishable and reach BIND.
addresses = st.one_of(
    st.ip_addresses(),
    st.ip_addresses(network="192.0.2.0/24"),
    st.ip_addresses(network="2001:db8::/32"),
).map(str)
address_like = st.one_of(
    addresses,
    st.builds(lambda a, n: f"{a}/{n}", addresses, st.integers(-1, 200)),
    st.builds(lambda a, b: f"{a},{b}", addresses, addresses),
    st.builds(lambda a, s: f"{a}%{s}", addresses, st.text(max_size=8)),  # zone ids
    st.sampled_from(
        [
            "",
            "<ipaddr>",
            "<ip6lanprefix>",
            "0.0.0.0",
            "::",
            "::ffff:192.0.2.1",
            "[2001:db8::1]",
            "2001:db8:1:2::/64",
            "192.0.2.1,2001:db8::1",
            " 192.0.2.1 ",
            "unknown",
        ]
    ),
)
# Any Unicode (control characters and non-ASCII included), long repeats, and
# percent-encoding that does not decode to UTF-8.
garbage_text = st.one_of(
    st.text(max_size=40),
    st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=4), st.integers(100, 1500)),
)
percent_garbage = st.lists(
    st.sampled_from(["%", "%z", "%zz", "%ff", "%00", "%C3%28", "%E2%82", "%25", "+", "a", ";"]),
    max_size=12,
).map("".join)


@dataclass
class Fuzzed:
    """One request; its repr is what hypothesis prints for a failing example."""

    method: str
    path: str
    query: str
    body: bytes = b""
    content_type: str = "application/x-www-form-urlencoded"
    headers: dict[str, str] = field(default_factory=dict)
    trusted_proxies: list[str] = field(default_factory=list)
    blocked_agents: list[str] = field(default_factory=list)


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@st.composite
def requests(draw, fqdn: str, secret: str):
    names = st.one_of(
        st.just(fqdn),
        st.sampled_from([fqdn.upper(), fqdn + ".", f" {fqdn} ", f"{fqdn},{fqdn}", "dyn.test"]),
        st.lists(
            st.sampled_from([fqdn, "other.dyn.test", "nodots", "a_b.dyn.test"]), max_size=25
        ).map(",".join),
        garbage_text,
    )
    values_for = {
        "myip": address_like,
        "myipv4": address_like,
        "myipv6": address_like,
        "hostname": names,
        "username": st.one_of(st.just(fqdn), garbage_text),
        "password": st.one_of(st.just(secret), garbage_text),
    }
    key = st.one_of(st.sampled_from(PROTOCOL_KEYS + LEGACY_KEYS), st.text(max_size=10))
    pairs = []
    for name in draw(st.lists(key, max_size=8)):
        pairs.append((name, draw(st.one_of(values_for.get(name, garbage_text), garbage_text))))

    def encoded():
        return urlencode(pairs, quote_via=quote) + draw(
            st.one_of(st.just(""), percent_garbage, latin1.map(lambda s: "&" + s))
        )

    method = draw(st.sampled_from(["GET", "POST"]))
    path = draw(st.sampled_from(["/nic/update", "/nic/delete"]))
    request = Fuzzed(method=method, path=path, query=encoded())
    if method == "POST":
        # The form body gets its own draw of the same pairs: POST values override GET ones.
        request.body = encoded().encode("latin-1")
        request.content_type = draw(
            st.sampled_from(
                [
                    "application/x-www-form-urlencoded",
                    "application/x-www-form-urlencoded; charset=latin-1",
                    "application/x-www-form-urlencoded; charset=bogus",
                    "text/plain",
                    "multipart/form-data",  # no boundary
                    "multipart/form-data; boundary=x",
                ]
            )
        )

    authorization = draw(
        st.one_of(
            st.none(),
            st.just(basic(fqdn, secret)),
            st.builds(basic, st.just(fqdn), st.text(max_size=30)),
            raw_bytes.map(lambda b: "Basic " + base64.b64encode(b).decode()),
            st.builds(lambda s, rest: s + rest, st.sampled_from(["Basic ", "basic ", ""]), latin1),
        )
    )
    if authorization is not None:
        request.headers["HTTP_AUTHORIZATION"] = authorization
    forwarded = draw(
        st.one_of(st.none(), latin1, st.lists(address_like, max_size=40).map(", ".join))
    )
    if forwarded is not None:
        request.headers["HTTP_X_FORWARDED_FOR"] = forwarded
    agent = draw(st.one_of(st.none(), latin1, st.sampled_from(["ddclient/3.10.0", "BadClient/1"])))
    if agent is not None:
        request.headers["HTTP_USER_AGENT"] = agent
    request.headers["REMOTE_ADDR"] = draw(
        st.one_of(st.just("127.0.0.1"), addresses, st.sampled_from(["", "::ffff:10.1.2.3"]))
    )
    request.trusted_proxies = draw(
        st.sampled_from(
            [[], ["127.0.0.0/8"], ["0.0.0.0/0", "::/0"], ["10.0.0.0/8", "2001:db8::/32"]]
        )
    )
    request.blocked_agents = draw(st.sampled_from([[], [r"^BadClient/"]]))
    return request


# --- Sending and checking ---------------------------------------------------------------


def send(client, request: Fuzzed):
    with override_settings(
        DDNS_TRUSTED_PROXIES=request.trusted_proxies,
        DDNS_BLOCKED_USER_AGENTS=request.blocked_agents,
    ):
        nic._agent_patterns.cache_clear()  # compiled once per process otherwise
        try:
            # generic() sends the body bytes as they are, whatever charset the type names.
            return client.generic(
                request.method,
                request.path,
                request.body,
                content_type=request.content_type,
                QUERY_STRING=request.query,
                **request.headers,
            )
        finally:
            nic._agent_patterns.cache_clear()


def assert_dyndns2_answer(response) -> None:
    assert response.status_code in STATUSES, response.content
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Length"] == str(len(response.content))
    text = response.content.decode("utf-8")
    assert text.endswith("\n"), text
    for line in text[:-1].split("\n"):
        assert line.split(" ", 1)[0] in RESPONSE_WORDS, text
    if response.status_code == 401:
        assert text == "badauth\n"
        assert response["WWW-Authenticate"].startswith("Basic")


@pytest.fixture
def credentials(make_host, bind):
    host, secret = make_host()
    return host.fqdn, secret


# The strategy needs the host's name and secret, which exist only once the fixture ran:
# hypothesis draws the request inside the test from st.data().
@FUZZ
@given(data=st.data())
def test_any_request_gets_a_dyndns2_answer(client, credentials, data):
    request = data.draw(requests(*credentials), label="request")
    assert_dyndns2_answer(send(client, request))


@FOCUSED
@given(data=st.data())
def test_any_address_from_an_authenticated_client_gets_a_dyndns2_answer(client, credentials, data):
    fqdn, secret = credentials
    myip = data.draw(st.lists(address_like, min_size=1, max_size=3).map(",".join), label="myip")
    path = data.draw(st.sampled_from(["/nic/update", "/nic/delete"]), label="path")
    request = Fuzzed(
        method="GET",
        path=path,
        query=urlencode({"myip": myip}),
        headers={"HTTP_AUTHORIZATION": basic(fqdn, secret)},
    )
    assert_dyndns2_answer(send(client, request))


@FOCUSED
@given(data=st.data())
def test_any_forwarded_for_behind_a_trusted_proxy_gets_a_dyndns2_answer(client, credentials, data):
    fqdn, secret = credentials
    hops = data.draw(
        st.one_of(latin1, st.lists(address_like, min_size=1, max_size=40).map(",".join)),
        label="X-Forwarded-For",
    )
    request = Fuzzed(
        method="GET",
        path="/nic/update",
        query="",
        headers={"HTTP_AUTHORIZATION": basic(fqdn, secret), "HTTP_X_FORWARDED_FOR": hops},
        trusted_proxies=["127.0.0.0/8", "10.0.0.0/8"],
    )
    assert_dyndns2_answer(send(client, request))


# --- What the fuzzing found, pinned -----------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic \x80",  # a byte >= 0x80 arrives as a latin-1 character
        "Basic \xe9t\xe9",
    ],
)
def test_a_non_ascii_authorization_header_is_badauth(client, credentials, authorization):
    response = send(
        client,
        Fuzzed(
            method="GET",
            path="/nic/update",
            query="",
            headers={"HTTP_AUTHORIZATION": authorization},
        ),
    )
    assert_dyndns2_answer(response)
    assert response.status_code == 401


@pytest.mark.parametrize("myip", ["2001:db8::1%eth0", "2001::%0", "2001:db8::1%25"])
def test_an_ipv6_address_with_a_zone_index_is_refused(client, credentials, bind, myip):
    fqdn, secret = credentials
    response = send(
        client,
        Fuzzed(
            method="GET",
            path="/nic/update",
            query=urlencode({"myip": myip}),
            headers={"HTTP_AUTHORIZATION": basic(fqdn, secret)},
        ),
    )
    assert_dyndns2_answer(response)
    assert response.status_code == 400
    assert bind.lookup(fqdn, "AAAA") == []


def test_a_forwarded_for_address_with_a_zone_index_is_not_published(client, credentials, bind):
    fqdn, secret = credentials
    response = send(
        client,
        Fuzzed(
            method="GET",
            path="/nic/update",
            query="",
            headers={
                "HTTP_AUTHORIZATION": basic(fqdn, secret),
                "HTTP_X_FORWARDED_FOR": "2001:db8::7%x",
            },
            trusted_proxies=["127.0.0.0/8"],
        ),
    )
    assert_dyndns2_answer(response)
    assert bind.lookup(fqdn, "AAAA") == []


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded; charset=iso-8859-1",  # Django: BadRequest
        "multipart/form-data",  # no boundary: MultiPartParserError
    ],
)
def test_an_unparsable_post_body_gets_a_dyndns2_answer(client, credentials, content_type):
    fqdn, secret = credentials
    response = send(
        client,
        Fuzzed(
            method="POST",
            path="/nic/update",
            query="",
            body=b"myip=192.0.2.80",
            content_type=content_type,
            headers={"HTTP_AUTHORIZATION": basic(fqdn, secret)},
        ),
    )
    assert_dyndns2_answer(response)
