"""The only module that probes members over the network: HTTP(S), TCP and Vault health checks.

Plain values in, plain results out: no ORM, no settings, no DNS records, so Celery tasks and
commands can call it. A network outcome never raises: refusals, timeouts, TLS failures and
unresolvable names come back as a failed ProbeResult whose reason is a sentence for people.
Only a CheckSpec that cannot make sense raises (ValueError, when it is built).

One Prober keeps one httpx client per TLS setting, so repeated probes of a member reuse
their connection, and bounds how many probes run at once.
"""

import asyncio
import datetime as dt
import ipaddress
import math
import os
import socket
import ssl
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx
from cryptography import x509

VAULT_CODES = {
    200: "active",
    429: "unsealed standby",
    472: "DR secondary",
    473: "performance standby",
    474: "standby that cannot reach the active node",
    501: "not initialised",
    503: "sealed",
    530: "removed from the cluster",
}
# 474 and 530 are never healthy: such a node cannot serve requests even though it answers.
VAULT_POLICIES = {"active": frozenset({200}), "unsealed": frozenset({200, 429, 473})}
VAULT_HEALTH_PATH = "/v1/sys/health"
KINDS = frozenset({"http", "https", "tcp", "vault"})
METHODS = frozenset({"GET", "HEAD"})
BODY_LIMIT = 64 * 1024
# Long enough to reuse a connection between probes a few seconds apart; a server that
# closes it earlier costs one retry (see _send).
KEEPALIVE_SECONDS = 30.0
KEEPALIVE_PER_MEMBER = 4  # idle connections kept per member, for overlapping checks


@dataclass(frozen=True)
class CheckSpec:
    kind: str  # "http" | "https" | "tcp" | "vault"
    port: int
    path: str = "/"  # for "vault", "/" means /v1/sys/health
    method: str = "GET"  # or HEAD; for "vault", GET means HEAD unless body_contains needs a body
    expected_codes: frozenset[int] = frozenset(range(200, 400))  # ignored by "vault"
    body_contains: str = ""  # matched as UTF-8 bytes in the first 64 KiB; "" = no body check
    headers: tuple[tuple[str, str], ...] = ()  # extra headers, may include Host
    tls_verify: bool = True
    sni: str = ""  # server name for TLS (SNI and verification); "" = the target
    timeout: float = 2.0  # seconds, whole probe (resolution, connect, answer)
    cert_expiry_days: int = 7  # https/vault: a certificate expiring within N days fails; 0 = off
    vault_policy: str = "unsealed"  # for kind "vault": key of VAULT_POLICIES
    ca_file: str = ""  # extra CA bundle to trust besides the system store

    def __post_init__(self) -> None:
        problems = _spec_problems(self)
        if problems:
            raise ValueError("; ".join(problems))


def _spec_problems(spec: CheckSpec) -> list[str]:
    problems = []
    if spec.kind not in KINDS:
        problems.append(f"unknown kind {spec.kind!r}")
    if not 0 < spec.port < 65536:
        problems.append(f"port {spec.port} out of range")
    if spec.method.upper() not in METHODS:
        problems.append(f"method {spec.method!r} is not GET or HEAD")
    if spec.method.upper() == "HEAD" and spec.body_contains:
        problems.append("a HEAD answer has no body to search")
    if not all(_is_token(name) and _is_text(value) for name, value in spec.headers):
        problems.append("header names and values must be printable ASCII")
    if not spec.path.startswith("/"):
        problems.append(f"path {spec.path!r} does not start with /")
    if not spec.timeout > 0:
        problems.append(f"timeout {spec.timeout} is not positive")
    if spec.vault_policy not in VAULT_POLICIES:
        problems.append(f"unknown vault policy {spec.vault_policy!r}")
    return problems


def _is_token(name: str) -> bool:
    return _is_text(name) and name != "" and not any(c in name for c in ' :"(),/;<=>?@[]{}')


def _is_text(value: str) -> bool:
    return value.isascii() and value.isprintable()


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    reason: str  # a sentence for people, e.g. "HTTP 503 from 192.0.2.7:8200 in 12 ms"
    latency_ms: float
    status: int | None = None  # HTTP status when there was one


@dataclass(frozen=True)
class _Endpoint:
    """One address a probe connects to, and the host name it was resolved from, if any."""

    address: str
    port: int
    name: str = ""

    @property
    def host(self) -> str:  # as written in URLs: IPv6 literals need brackets
        return f"[{self.address}]" if ":" in self.address else self.address

    @property
    def label(self) -> str:
        if self.name:
            return f"{self.name}:{self.port} ({self.address})"
        return f"{self.host}:{self.port}"


class _Progress:
    """How far one probe got, so that a deadline can say which step it cut short."""

    STEPS = {
        "connection.connect_tcp.started": "connect",
        "connection.start_tls.started": "tls",
        "http11.send_request_headers.started": "answer",
    }

    def __init__(self, target: str, timeout: float) -> None:
        self.target, self.timeout = target, timeout
        self.started = time.monotonic()
        self.step = "resolve"
        self.endpoint: _Endpoint | None = None
        self.status: int | None = None
        self.fresh_connection = False

    async def trace(self, event: str, info: dict[str, Any]) -> None:
        self.step = self.STEPS.get(event, self.step)
        self.fresh_connection |= event == "connection.connect_tcp.started"

    def elapsed_ms(self) -> float:
        return (time.monotonic() - self.started) * 1000

    def result(self, ok: bool, reason: str) -> ProbeResult:
        return ProbeResult(ok, reason, self.elapsed_ms(), self.status)

    def timed_out(self) -> ProbeResult:
        limit = f"{self.timeout:g} s"
        where = self.endpoint.label if self.endpoint else self.target
        reasons = {
            "resolve": f"cannot resolve {self.target} within {limit}",
            "connect": f"connect timeout after {limit} to {where}",
            "tls": f"TLS handshake with {where} timed out after {limit}",
            "answer": f"no answer from {where} within {limit}",
            "body": f"HTTP {self.status} from {where} but the body did not arrive within {limit}",
        }
        return self.result(False, reasons[self.step])


async def probe(spec: CheckSpec, target: str, client: "Prober | None" = None) -> ProbeResult:
    """Probe one member once; pass a Prober to reuse its connections."""
    if client is not None:
        return await client.probe(spec, target)
    async with Prober(concurrency=1) as prober:
        return await prober.probe(spec, target)


def probe_all_sync(
    jobs: Sequence[tuple[CheckSpec, str]], concurrency: int = 200
) -> list[ProbeResult]:
    """probe_all for synchronous callers (Celery tasks); not from inside an event loop."""

    async def run() -> list[ProbeResult]:
        async with Prober(concurrency=concurrency) as prober:
            return await prober.probe_all(jobs, concurrency)

    return asyncio.run(run())


class Prober:
    """Probes many members concurrently, keeping connections between probes."""

    def __init__(self, concurrency: int = 200) -> None:
        self._concurrency = max(1, concurrency)
        self._slots = asyncio.Semaphore(self._concurrency)
        self._clients: dict[tuple[bool, str], httpx.AsyncClient] = {}
        self._closed = False

    async def __aenter__(self) -> "Prober":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._closed = True
        clients, self._clients = list(self._clients.values()), {}
        await asyncio.gather(*(client.aclose() for client in clients))

    async def probe(self, spec: CheckSpec, target: str) -> ProbeResult:
        if self._closed:
            raise RuntimeError("this Prober is closed")
        # Waiting for a free slot is not the member's fault: its deadline starts after.
        async with self._slots:
            return await _probe(self, spec, target)

    async def probe_all(
        self, jobs: Sequence[tuple[CheckSpec, str]], concurrency: int = 200
    ) -> list[ProbeResult]:
        """Results in the order of jobs; at most `concurrency` probes in flight."""
        gate = asyncio.Semaphore(max(1, concurrency))

        async def one(spec: CheckSpec, target: str) -> ProbeResult:
            async with gate:
                return await self.probe(spec, target)

        return list(await asyncio.gather(*(one(spec, target) for spec, target in jobs)))

    def _client(self, spec: CheckSpec) -> httpx.AsyncClient:
        """The client for the spec's trust setting; loading a CA store takes tens of ms."""
        trust = (True, "") if spec.kind == "http" else (spec.tls_verify, spec.ca_file)
        if trust not in self._clients:
            self._clients[trust] = _new_client(_ssl_context(*trust), self._concurrency)
        return self._clients[trust]


def _new_client(context: ssl.SSLContext, concurrency: int) -> httpx.AsyncClient:
    # No cookies: a load balancer's sticky cookie from one member must not reach the next.
    no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    # trust_env=False: a probe goes straight to the member, never through an HTTP(S)_PROXY.
    return httpx.AsyncClient(
        transport=_PoolPerMember(context, concurrency),
        cookies=no_cookies,
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": "ddns-failover-probe", "Accept-Encoding": "identity"},
    )


class _PoolPerMember(httpx.AsyncBaseTransport):
    """One small connection pool per member (scheme, address, port, SNI name) in a client.

    httpcore's pool scans every connection it holds on each request and each response, so
    a single pool for 200 members costs seconds of CPU per round; one per member stays linear.
    The SNI name is part of the key because a pooled connection keeps the name it was
    opened with: reusing it for another name would skip that name's verification.
    """

    def __init__(self, context: ssl.SSLContext, concurrency: int) -> None:
        self._context = context
        self._limits = httpx.Limits(
            max_connections=concurrency,
            max_keepalive_connections=KEEPALIVE_PER_MEMBER,
            keepalive_expiry=KEEPALIVE_SECONDS,
        )
        self._pools: dict[tuple[str, str, int | None, str], httpx.AsyncHTTPTransport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sni = str(request.extensions.get("sni_hostname", ""))
        member = (request.url.scheme, request.url.host, request.url.port, sni)
        if member not in self._pools:
            self._pools[member] = httpx.AsyncHTTPTransport(
                verify=self._context, limits=self._limits, trust_env=False
            )
        return await self._pools[member].handle_async_request(request)

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        await asyncio.gather(*(pool.aclose() for pool in pools))


def _ssl_context(verify: bool, ca_file: str) -> ssl.SSLContext:
    context = ssl.create_default_context()  # the system store, not certifi's
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


_resolvers: dict[int, ThreadPoolExecutor] = {}


def _resolver() -> ThreadPoolExecutor:
    # Our own pool, as asyncio.run() waits for its default executor at exit: a hung lookup
    # there would outlast the deadline in probe_all_sync. One per process: pool threads do
    # not survive a fork (Celery's prefork workers).
    pid = os.getpid()
    if pid not in _resolvers:
        _resolvers[pid] = ThreadPoolExecutor(max_workers=16, thread_name_prefix="probe-resolve")
    return _resolvers[pid]


def _address(target: str) -> str:
    """The target as a normalised IP address, or "" when it is a host name."""
    try:
        return str(ipaddress.ip_address(target.strip("[]")))
    except ValueError:
        return ""


async def _resolve(target: str, port: int) -> list[_Endpoint]:
    """Addresses to try, in the resolver's order; an address target is used as it is."""
    if _address(target):
        return [_Endpoint(_address(target), port)]
    loop = asyncio.get_running_loop()
    infos = await loop.run_in_executor(
        _resolver(), lambda: socket.getaddrinfo(target, port, type=socket.SOCK_STREAM)
    )
    addresses = dict.fromkeys(str(info[4][0]) for info in infos)
    return [_Endpoint(address, port, target) for address in addresses]


async def _probe(prober: Prober, spec: CheckSpec, target: str) -> ProbeResult:
    try:
        # Before the clock starts: loading a CA store is our cost, not the member's latency.
        client = None if spec.kind == "tcp" else prober._client(spec)
    except OSError as exc:  # ssl.SSLError is one too
        return ProbeResult(False, f"cannot load the CA bundle {spec.ca_file}: {exc}", 0.0)
    progress = _Progress(target, spec.timeout)
    try:
        async with asyncio.timeout(spec.timeout):
            return await _probe_endpoints(client, spec, target, progress)
    except TimeoutError:
        return progress.timed_out()


async def _probe_endpoints(
    client: httpx.AsyncClient | None, spec: CheckSpec, target: str, progress: _Progress
) -> ProbeResult:
    try:
        endpoints = await _resolve(target, spec.port)
    except (OSError, UnicodeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return progress.result(False, f"cannot resolve {target} ({detail})")
    result = progress.result(False, f"cannot resolve {target} (no address)")
    for endpoint in endpoints:
        progress.endpoint, progress.step = endpoint, "connect"
        if client is None:
            result = await _probe_tcp(endpoint, progress)
        else:
            result = await _probe_http(client, spec, endpoint, progress)
        # A name with several addresses is healthy when one of them accepts connections.
        if result.ok or progress.step != "connect":
            return result
    return result


async def _probe_tcp(endpoint: _Endpoint, progress: _Progress) -> ProbeResult:
    try:
        _, writer = await asyncio.open_connection(endpoint.address, endpoint.port)
    except OSError as exc:
        return progress.result(False, _failure_reason(exc, endpoint))
    # Not waiting for the close: a peer slow to acknowledge it must not fail the probe.
    writer.close()
    return progress.result(True, f"TCP connect to {endpoint.label} in {_ms(progress)}")


async def _probe_http(
    client: httpx.AsyncClient, spec: CheckSpec, endpoint: _Endpoint, progress: _Progress
) -> ProbeResult:
    try:
        return await _send(client, spec, endpoint, progress)
    except httpx.TimeoutException:
        return progress.timed_out()
    except (httpx.HTTPError, OSError) as exc:
        return progress.result(False, _failure_reason(exc, endpoint))
    except (httpx.InvalidURL, ValueError) as exc:  # e.g. an SNI name ssl will not send
        return progress.result(False, f"cannot probe {endpoint.label}: {exc}")


async def _send(
    client: httpx.AsyncClient, spec: CheckSpec, endpoint: _Endpoint, progress: _Progress
) -> ProbeResult:
    try:
        return await _exchange(client, spec, endpoint, progress)
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
        # A pooled connection the server closed just as we sent on it: ask once more on a
        # fresh one, as browsers do, rather than call the member down.
        if progress.fresh_connection or progress.step != "answer":
            raise
        return await _exchange(client, spec, endpoint, progress)


async def _exchange(
    client: httpx.AsyncClient, spec: CheckSpec, endpoint: _Endpoint, progress: _Progress
) -> ProbeResult:
    request = _build_request(client, spec, endpoint, progress)
    progress.fresh_connection = False
    response = await client.send(request, stream=True)
    try:
        progress.step, progress.status = "body", response.status_code
        problem = _certificate_problem(response, spec, endpoint)
        body = b"" if request.method == "HEAD" else await _read_body(response)
    finally:
        await response.aclose()
    if problem:
        return progress.result(False, problem)
    return _judge(spec, endpoint, body, progress)


def _build_request(
    client: httpx.AsyncClient, spec: CheckSpec, endpoint: _Endpoint, progress: _Progress
) -> httpx.Request:
    scheme = "http" if spec.kind == "http" else "https"
    path = VAULT_HEALTH_PATH if spec.kind == "vault" and spec.path == "/" else spec.path
    extensions: dict[str, Any] = {"trace": progress.trace}
    server_name = spec.sni or endpoint.name
    if scheme == "https" and server_name:
        extensions["sni_hostname"] = server_name
    return client.build_request(
        _method(spec),
        f"{scheme}://{endpoint.host}:{endpoint.port}{path}",
        headers=_headers(spec, endpoint, scheme),
        timeout=spec.timeout,
        extensions=extensions,
    )


def _method(spec: CheckSpec) -> str:
    # Vault's health is in the status code: HEAD spares it the body unless we match on one.
    if spec.kind == "vault" and spec.method.upper() == "GET" and not spec.body_contains:
        return "HEAD"
    return spec.method.upper()


def _headers(spec: CheckSpec, endpoint: _Endpoint, scheme: str) -> list[tuple[str, str]]:
    """The spec's headers; a name target also sends its name as Host, as a browser would."""
    given = {name.lower() for name, _ in spec.headers}
    if not endpoint.name or "host" in given:
        return list(spec.headers)
    default_port = {"http": 80, "https": 443}[scheme] == endpoint.port
    name = endpoint.name.encode("idna").decode("ascii")  # headers are ASCII
    host = name if default_port else f"{name}:{endpoint.port}"
    return [("Host", host), *spec.headers]


async def _read_body(response: httpx.Response) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) >= BODY_LIMIT:
            break
    return bytes(body[:BODY_LIMIT])


def _judge(spec: CheckSpec, endpoint: _Endpoint, body: bytes, progress: _Progress) -> ProbeResult:
    status, took = progress.status or 0, _ms(progress)
    if spec.kind == "vault":
        ok = status in VAULT_POLICIES[spec.vault_policy]
        meaning = VAULT_CODES.get(status, "(not a Vault health code)")
        reason = f"vault: {status} {meaning} from {endpoint.label} in {took}"
        if not ok:
            reason += f" (not healthy under the {spec.vault_policy!r} policy)"
    else:
        ok = status in spec.expected_codes
        reason = f"HTTP {status} from {endpoint.label} in {took}"
        if not ok:
            reason += f" (expected {_codes_text(spec.expected_codes)})"
    if ok and spec.body_contains.encode() not in body:
        return progress.result(False, f"{reason} but the body lacks {spec.body_contains!r}")
    return progress.result(ok, reason)


def _certificate_problem(response: httpx.Response, spec: CheckSpec, endpoint: _Endpoint) -> str:
    """Why the member's certificate is too close to expiry, or "" when it is not."""
    der = _peer_certificate(response)
    if spec.cert_expiry_days <= 0 or der is None:
        return ""
    expires = x509.load_der_x509_certificate(der).not_valid_after_utc
    left = expires - dt.datetime.now(dt.UTC)
    if left > dt.timedelta(days=spec.cert_expiry_days):
        return ""
    if left <= dt.timedelta(0):
        return f"certificate of {endpoint.label} expired on {expires.date()}"
    days = math.ceil(left / dt.timedelta(days=1))
    return f"certificate of {endpoint.label} expires in {_plural(days, 'day')} ({expires.date()})"


def _peer_certificate(response: httpx.Response) -> bytes | None:
    # Read even when verification is off: an unverified certificate still expires.
    stream = response.extensions.get("network_stream")
    tls = stream.get_extra_info("ssl_object") if stream is not None else None
    return tls.getpeercert(binary_form=True) if isinstance(tls, ssl.SSLObject) else None


def _failure_reason(exc: BaseException, endpoint: _Endpoint) -> str:
    """A sentence for a failure below HTTP: refused, reset, TLS, or whatever else."""
    where = endpoint.label
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS verification failed: {str(cause.verify_message).rstrip('.')} ({where})"
        if isinstance(cause, ssl.SSLError):
            return f"TLS handshake with {where} failed: {cause.reason or cause}"
        if isinstance(cause, ConnectionRefusedError):
            return f"connection refused by {where}"
        if isinstance(cause, ConnectionResetError | BrokenPipeError):
            return f"connection reset by {where}"
    if isinstance(exc, httpx.RemoteProtocolError) and "disconnected" in str(exc):
        return f"{where} closed the connection without answering"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"invalid HTTP answer from {where}: {exc}"
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return f"cannot reach {where}: {detail or type(exc).__name__}"


def _causes(exc: BaseException | None) -> Iterator[BaseException]:
    """The exception and what it wraps: httpx -> httpcore -> anyio -> the OSError."""
    for _ in range(10):  # a chain is short; the bound guards against a cycle
        if exc is None:
            return
        yield exc
        exc = exc.__cause__ or exc.__context__


def _codes_text(codes: Iterable[int]) -> str:
    """200-399, or 200, 204: runs of consecutive codes written as ranges."""
    runs: list[list[int]] = []
    for code in sorted(codes):
        if runs and code == runs[-1][-1] + 1:
            runs[-1].append(code)
        else:
            runs.append([code])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs) or "none"


def _ms(progress: _Progress) -> str:
    return f"{progress.elapsed_ms():.0f} ms"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
