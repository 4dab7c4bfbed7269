"""failover.probes against real servers on loopback: HTTP(S), TCP, Vault, resolution, timing."""

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Iterator

import pytest
import trustme

from failover.checks import VAULT_CODES, VAULT_POLICIES, CheckSpec, ProbeResult
from failover.probes import Prober, probe, probe_all_sync
from tests.support.probe_servers import (
    Answer,
    FullListener,
    ProbeTarget,
    ResettingListener,
    SilentListener,
    can_bind,
    closed_port,
)

MEMBER = "127.0.0.21"


def check(spec: CheckSpec, target: str) -> ProbeResult:
    return asyncio.run(probe(spec, target))


def timed(spec: CheckSpec, target: str) -> tuple[ProbeResult, float]:
    started = time.monotonic()
    result = check(spec, target)
    return result, time.monotonic() - started


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def serve() -> Iterator[Callable]:
    """Start servers of any kind from tests.support.probe_servers; all stop afterwards."""
    started = []

    def start(kind, *args, **kwargs):
        server = kind(*args, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def member(serve) -> ProbeTarget:
    return serve(ProbeTarget, MEMBER)


@pytest.fixture
def secure_member(serve, ca) -> ProbeTarget:
    return serve(ProbeTarget, "127.0.0.1", cert=ca.issue_cert("127.0.0.1", "vault.test", "::1"))


def http(member: ProbeTarget, **options) -> CheckSpec:
    return CheckSpec(kind="http", port=member.port, timeout=options.pop("timeout", 1.0), **options)


def https(member: ProbeTarget, ca_file: str = "", **options) -> CheckSpec:
    return CheckSpec(kind="https", port=member.port, ca_file=ca_file, timeout=1.0, **options)


# HTTP


def test_a_200_answer_is_healthy(member):
    result = check(http(member), MEMBER)

    assert result.ok
    assert result.status == 200
    assert result.reason.startswith(f"HTTP 200 from {MEMBER}:{member.port} in ")
    assert 0 < result.latency_ms < 1000


def test_a_503_answer_is_unhealthy(member):
    member.answer = Answer(status=503)

    result = check(http(member), MEMBER)

    assert not result.ok
    assert result.status == 503
    assert result.reason.startswith(f"HTTP 503 from {MEMBER}:{member.port} in ")
    assert result.reason.endswith("(expected 200-399)")


@pytest.mark.parametrize(
    ("status", "codes", "healthy"),
    [(204, {200, 204}, True), (200, {204}, False), (503, {503}, True), (404, {200}, False)],
)
def test_custom_expected_codes_decide_health(member, status, codes, healthy):
    member.answer = Answer(status=status)

    result = check(http(member, expected_codes=frozenset(codes)), MEMBER)

    assert result.ok is healthy
    assert result.status == status


def test_a_body_with_the_expected_text_is_healthy(member):
    member.answer = Answer(body=b'{"status": "ready"}')

    assert check(http(member, body_contains='"ready"'), MEMBER).ok


def test_a_body_without_the_expected_text_is_unhealthy(member):
    member.answer = Answer(body=b'{"status": "starting"}')

    result = check(http(member, body_contains="ready"), MEMBER)

    assert not result.ok
    assert result.status == 200
    assert result.reason.endswith("but the body lacks 'ready'")


def test_only_the_first_64_kib_of_the_body_are_searched(member):
    member.answer = Answer(body=b"x" * 64 * 1024 + b"ready")

    assert not check(http(member, body_contains="ready"), MEMBER).ok


def test_extra_headers_and_host_arrive_at_the_server(member):
    headers = (("Host", "vault.example.org"), ("X-Probe", "alice"))

    assert check(http(member, headers=headers), MEMBER).ok

    seen = member.seen[-1].headers
    assert seen["Host"] == "vault.example.org"
    assert seen["X-Probe"] == "alice"


def test_head_asks_without_a_body(member):
    assert check(http(member, method="HEAD"), MEMBER).ok

    assert member.seen[-1].method == "HEAD"


def test_redirects_are_not_followed(member):
    member.answer = Answer(status=302, headers={"Location": "/elsewhere"})

    result = check(http(member, expected_codes=frozenset({200})), MEMBER)

    assert not result.ok
    assert result.status == 302
    assert [seen.path for seen in member.seen] == ["/"]


def test_cookies_are_not_carried_from_one_probe_to_the_next(member):
    member.answer = Answer(headers={"Set-Cookie": "sticky=member-a; Path=/"})

    async def twice() -> None:
        async with Prober() as prober:
            await prober.probe(http(member), MEMBER)
            await prober.probe(http(member), MEMBER)

    asyncio.run(twice())

    assert "Cookie" not in member.seen[-1].headers


def test_a_closed_port_is_refused():
    result = check(CheckSpec(kind="http", port=closed_port(MEMBER)), MEMBER)

    assert not result.ok
    assert result.reason.startswith(f"connection refused by {MEMBER}:")
    assert result.status is None


def test_a_server_that_never_answers_times_out_on_time(serve):
    silent = serve(SilentListener, MEMBER)

    result, took = timed(CheckSpec(kind="http", port=silent.port, timeout=0.5), MEMBER)

    assert not result.ok
    assert result.reason == f"no answer from {MEMBER}:{silent.port} within 0.5 s"
    assert 0.45 < took < 1.0


def test_a_connection_that_never_completes_is_a_connect_timeout(serve):
    full = serve(FullListener, MEMBER)

    result, took = timed(CheckSpec(kind="http", port=full.port, timeout=0.5), MEMBER)

    assert not result.ok
    assert result.reason == f"connect timeout after 0.5 s to {MEMBER}:{full.port}"
    assert 0.45 < took < 1.0


def test_an_answer_slower_than_the_deadline_fails(member):
    member.answer = Answer(delay=1.0)

    result, took = timed(http(member, timeout=0.3), MEMBER)

    assert not result.ok
    assert result.reason.startswith("no answer from")
    assert took < 0.7


def test_a_reset_connection_is_reported(serve):
    resetting = serve(ResettingListener, MEMBER)

    result = check(CheckSpec(kind="http", port=resetting.port), MEMBER)

    assert not result.ok
    assert result.reason == f"connection reset by {MEMBER}:{resetting.port}"


def test_a_prober_reuses_its_connection_to_a_member(serve):
    member = serve(ProbeTarget, MEMBER, keep_alive=True)

    async def five_times() -> list[ProbeResult]:
        async with Prober() as prober:
            return [await probe(http(member), MEMBER, client=prober) for _ in range(5)]

    assert all(result.ok for result in asyncio.run(five_times()))
    assert member.connections == 1


def test_a_kept_connection_the_server_dropped_is_retried_on_a_fresh_one(serve):
    member = serve(ProbeTarget, MEMBER, drop_repeats=True)

    async def twice() -> list[ProbeResult]:
        async with Prober() as prober:
            return [await prober.probe(http(member), MEMBER) for _ in range(2)]

    assert all(result.ok for result in asyncio.run(twice()))
    assert member.connections == 2


# HTTPS


def test_an_untrusted_certificate_fails_verification(secure_member):
    result = check(https(secure_member), "127.0.0.1")

    assert not result.ok
    assert result.reason.startswith("TLS verification failed: ")
    assert f"127.0.0.1:{secure_member.port}" in result.reason


def test_a_certificate_from_the_ca_file_is_trusted(secure_member, ca_file):
    result = check(https(secure_member, ca_file), "127.0.0.1")

    assert result.ok, result.reason
    assert result.reason.startswith(f"HTTP 200 from 127.0.0.1:{secure_member.port}")


def test_without_verification_an_untrusted_certificate_is_accepted(secure_member):
    assert check(https(secure_member, tls_verify=False), "127.0.0.1").ok


def test_https_to_a_plain_http_server_fails_the_handshake(member):
    result = check(https(member, tls_verify=False), MEMBER)

    assert not result.ok
    assert result.reason.startswith(f"TLS handshake with {MEMBER}:{member.port} failed")


def test_the_sni_name_verifies_a_member_reached_by_address(serve, ca, ca_file):
    member = serve(ProbeTarget, "127.0.0.23", cert=ca.issue_cert("vault.test"))

    by_address = check(https(member, ca_file), "127.0.0.23")
    by_name = check(https(member, ca_file, sni="vault.test"), "127.0.0.23")

    assert not by_address.ok
    assert "mismatch" in by_address.reason
    assert by_name.ok, by_name.reason
    assert member.server_names[-1] == "vault.test"


def test_a_connection_opened_for_one_sni_name_is_not_reused_for_another(serve, ca):
    member = serve(ProbeTarget, "127.0.0.1", cert=ca.issue_cert("a.test"), keep_alive=True)

    async def by_names() -> None:
        async with Prober() as prober:
            for name in ["a.test", "b.test", "a.test"]:
                await prober.probe(https(member, tls_verify=False, sni=name), "127.0.0.1")

    asyncio.run(by_names())

    assert member.server_names == ["a.test", "b.test"]


@pytest.fixture
def expiring_member(serve, ca) -> ProbeTarget:
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    return serve(ProbeTarget, "127.0.0.1", cert=ca.issue_cert("127.0.0.1", not_after=tomorrow))


@pytest.mark.parametrize("verify", [True, False])
def test_a_certificate_expiring_within_the_window_fails(expiring_member, ca_file, verify):
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).date()

    result = check(https(expiring_member, ca_file, tls_verify=verify), "127.0.0.1")

    assert not result.ok
    assert result.reason == (
        f"certificate of 127.0.0.1:{expiring_member.port} expires in 1 day ({tomorrow})"
    )


def test_the_expiry_check_can_be_turned_off(expiring_member, ca_file):
    assert check(https(expiring_member, ca_file, cert_expiry_days=0), "127.0.0.1").ok


# Vault


def vault(member: ProbeTarget, ca_file: str, policy: str, **options) -> CheckSpec:
    return CheckSpec(
        kind="vault", port=member.port, ca_file=ca_file, vault_policy=policy, timeout=1.0, **options
    )


@pytest.mark.parametrize("policy", sorted(VAULT_POLICIES))
@pytest.mark.parametrize("code", sorted(VAULT_CODES))
def test_the_vault_preset_judges_every_health_code(secure_member, ca_file, code, policy):
    secure_member.answer = Answer(status=code, body=b"")

    result = check(vault(secure_member, ca_file, policy), "127.0.0.1")

    assert result.ok is (code in VAULT_POLICIES[policy])
    assert result.status == code
    where = f"127.0.0.1:{secure_member.port}"
    assert result.reason.startswith(f"vault: {code} {VAULT_CODES[code]} from {where} in ")


@pytest.mark.parametrize("code", [474, 530])
def test_a_vault_node_answering_474_or_530_is_never_healthy(secure_member, ca_file, code):
    secure_member.answer = Answer(status=code, body=b"")

    for policy in VAULT_POLICIES:
        assert not check(vault(secure_member, ca_file, policy), "127.0.0.1").ok


def test_the_vault_preset_sends_head_to_the_health_endpoint(secure_member, ca_file):
    check(vault(secure_member, ca_file, "active"), "127.0.0.1")

    assert (secure_member.seen[-1].method, secure_member.seen[-1].path) == (
        "HEAD",
        "/v1/sys/health",
    )


def test_the_vault_path_can_ask_standbys_to_answer_200(secure_member, ca_file):
    path = "/v1/sys/health?standbyok=true"

    assert check(vault(secure_member, ca_file, "active", path=path), "127.0.0.1").ok

    assert secure_member.seen[-1].path == path


# TCP


def test_a_listening_port_is_up_over_tcp(serve):
    silent = serve(SilentListener, MEMBER)

    result = check(CheckSpec(kind="tcp", port=silent.port), MEMBER)

    assert result.ok
    assert result.status is None
    assert result.reason.startswith(f"TCP connect to {MEMBER}:{silent.port} in ")


def test_a_closed_port_is_down_over_tcp():
    port = closed_port(MEMBER)

    result = check(CheckSpec(kind="tcp", port=port), MEMBER)

    assert not result.ok
    assert result.reason == f"connection refused by {MEMBER}:{port}"


def test_a_tcp_connect_that_hangs_times_out_on_time(serve):
    full = serve(FullListener, MEMBER)

    result, took = timed(CheckSpec(kind="tcp", port=full.port, timeout=0.5), MEMBER)

    assert not result.ok
    assert result.reason == f"connect timeout after 0.5 s to {MEMBER}:{full.port}"
    assert 0.45 < took < 1.0


# Names and addresses


def test_a_host_name_target_is_resolved_and_sent_as_host(serve):
    member = serve(ProbeTarget, "127.0.0.1")

    result = check(http(member), "localhost")

    assert result.ok, result.reason
    assert result.reason.startswith(f"HTTP 200 from localhost:{member.port} (127.0.0.1) in ")
    assert member.seen[-1].headers["Host"] == f"localhost:{member.port}"


def test_a_name_that_does_not_resolve_fails_clearly():
    result = check(CheckSpec(kind="http", port=80), "member.invalid")

    assert not result.ok
    assert result.reason.startswith("cannot resolve member.invalid")


@pytest.fixture
def ipv6_loopback() -> str:
    if not can_bind("::1"):
        pytest.skip("this machine cannot bind ::1")
    return "::1"


def test_an_ipv6_member_is_probed_over_http(serve, ipv6_loopback):
    member = serve(ProbeTarget, ipv6_loopback)

    result = check(http(member), ipv6_loopback)

    assert result.ok, result.reason
    assert result.reason.startswith(f"HTTP 200 from [::1]:{member.port} in ")


def test_an_ipv6_member_is_probed_over_https_and_tcp(serve, ca, ca_file, ipv6_loopback):
    member = serve(ProbeTarget, ipv6_loopback, cert=ca.issue_cert("::1"))

    assert check(https(member, ca_file), "::1").ok
    assert check(CheckSpec(kind="tcp", port=member.port), "[::1]").ok


# Many at once


def test_probe_all_keeps_the_order_of_the_jobs_and_runs_them_together(serve):
    members = [serve(ProbeTarget, f"127.0.1.{i + 1}") for i in range(50)]
    for i, member in enumerate(members):
        member.answer = Answer(status=200 if i % 3 else 503, delay=0.2)
    jobs = [(http(member, timeout=2.0), member.host) for member in members]

    started = time.monotonic()
    results = probe_all_sync(jobs, concurrency=50)
    took = time.monotonic() - started

    assert [result.status for result in results] == [200 if i % 3 else 503 for i in range(50)]
    assert all(m.host in r.reason for m, r in zip(members, results, strict=True))
    assert took < 3.0  # one after the other would take 10 s


def test_probe_all_runs_no_more_than_the_concurrency_at_once(serve):
    member = serve(ProbeTarget, MEMBER)
    member.answer = Answer(delay=0.2)

    started = time.monotonic()
    results = probe_all_sync([(http(member), MEMBER)] * 4, concurrency=2)

    assert all(result.ok for result in results)
    assert time.monotonic() - started >= 0.4


# Specs


@pytest.mark.parametrize(
    "options",
    [
        {"kind": "udp"},
        {"port": 0},
        {"method": "POST"},
        {"method": "HEAD", "body_contains": "ok"},
        {"path": "health"},
        {"timeout": 0},
        {"vault_policy": "any"},
        {"headers": (("X-Bad", "line\r\nbreak"),)},
        {"headers": (("Bad Name", "x"),)},
    ],
)
def test_a_spec_that_cannot_make_sense_is_refused(options):
    with pytest.raises(ValueError):
        CheckSpec(**{"kind": "http", "port": 80, **options})
