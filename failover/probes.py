"""The only module that probes members over the network: HTTP(S), TCP and Vault health checks.

Plain values in, plain results out: no ORM, no settings, no DNS records, so Celery tasks and
commands can call it. A network outcome never raises: refusals, timeouts, TLS failures and
unresolvable names come back as a failed ProbeResult whose reason is a sentence for people.
Only a CheckSpec that cannot make sense raises (ValueError, when it is built).

One Prober keeps its connections to each member, so repeated probes of a member reuse
them, and bounds how many probes run at once:

    results = probe_all_sync([(CheckSpec(kind="vault", port=8200), "vault-1.example.org")])
    async with Prober() as prober:
        result = await prober.probe(CheckSpec(kind="tcp", port=22), "192.0.2.7")
"""

import asyncio
import contextlib
import datetime as dt
import functools
import ipaddress
import math
import os
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

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
HEAD_LIMIT = 64 * 1024  # longest status or header line
MAX_HEADERS = 100
# Long enough to reuse a connection between probes a few seconds apart; a server that
# closes it earlier costs one retry (see _send).
KEEPALIVE_SECONDS = 30.0
KEEPALIVE_PER_MEMBER = 4  # idle connections kept per member, for overlapping checks
KEPT_SECONDS = 600.0  # how long probe_all_sync keeps one Prober per thread


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

    def __init__(self, target: str, timeout: float) -> None:
        self.target, self.timeout = target, timeout
        self.started = time.monotonic()
        self.step = "resolve"  # then connect, tls, answer, body
        self.endpoint: _Endpoint | None = None
        self.status: int | None = None
        self.fresh_connection = False

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
    """probe_all for synchronous callers (Celery tasks); not from inside an event loop.

    Each thread keeps its Prober between calls, on an event loop of its own: a worker's
    rounds reuse the previous rounds' connections and TLS contexts instead of opening and
    building them again.
    """
    kept = _kept_prober(concurrency)
    try:
        return kept.loop.run_until_complete(kept.prober.probe_all(jobs, concurrency))
    except BaseException:
        # Cut short (e.g. the worker is stopping): its tasks stay on the loop; start afresh.
        _kept.prober = None
        raise


@dataclass
class _KeptProber:
    prober: "Prober"
    loop: asyncio.AbstractEventLoop
    pid: int
    renew_at: float
    concurrency: int

    def usable(self, concurrency: int) -> bool:
        return time.monotonic() < self.renew_at and concurrency <= self.concurrency

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing is a courtesy to the members
            self.loop.run_until_complete(self.prober.__aexit__(None, None, None))
        self.loop.close()


_kept = threading.local()


def _kept_prober(concurrency: int) -> _KeptProber:
    """This thread's prober; renewed every KEPT_SECONDS (a changed CA store is read, the
    connections of members that are gone are dropped), never shared with a forked child."""
    kept: _KeptProber | None = getattr(_kept, "prober", None)
    if kept is not None and kept.pid != os.getpid():
        kept = None  # the parent's loop and sockets: not ours to use or close
    if kept is not None and not kept.usable(concurrency):
        kept.close()
        kept = None
    if kept is None:
        slots = max(concurrency, 200)
        renew_at = time.monotonic() + KEPT_SECONDS
        kept = _KeptProber(Prober(slots), asyncio.new_event_loop(), os.getpid(), renew_at, slots)
        _kept.prober = kept
    return kept


@dataclass
class _Connection:
    """One HTTP/1.1 connection to a member, idle in its pool between requests."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = 0.0

    def reusable(self) -> bool:
        # A member that closed it while idle shows as EOF once the loop has run.
        idle = time.monotonic() - self.idle_since
        closed = self.writer.is_closing() or self.reader.at_eof()
        return not closed and idle < KEEPALIVE_SECONDS

    def close(self) -> None:
        # Abort, not a graceful TLS shutdown: a member slow to acknowledge must not hold us.
        self.writer.transport.abort()


# What a pooled connection is for: trust (verify, CA file), scheme, address, port, TLS
# server name. A connection keeps the name and trust it was verified with: reusing it for
# another would skip that one's verification.
_PoolKey = tuple[bool, str, str, str, int, str]


class Prober:
    """Probes many members concurrently, keeping connections between probes.

    Its own small HTTP/1.1 client on asyncio streams rather than a general one: a check
    needs one request and its status, and a general client's layers (request models,
    cookies, redirects, cancel scopes) cost several times the CPU of the exchange itself.
    No cookies are kept, redirects are not followed, no proxy is used.
    """

    def __init__(self, concurrency: int = 200) -> None:
        self._concurrency = max(1, concurrency)
        self._slots = asyncio.Semaphore(self._concurrency)
        self._contexts: dict[tuple[bool, str], ssl.SSLContext] = {}
        self._idle: dict[_PoolKey, list[_Connection]] = {}
        self._closed = False

    async def __aenter__(self) -> "Prober":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._closed = True
        idle, self._idle = self._idle, {}
        for connection in (c for connections in idle.values() for c in connections):
            connection.close()
        await asyncio.sleep(0)  # the transports close their sockets on the next loop pass

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

    def _context(self, spec: CheckSpec) -> ssl.SSLContext | None:
        """The TLS context for the spec's trust setting; loading a CA store takes tens of ms."""
        if spec.kind in ("http", "tcp"):
            return None
        trust = (spec.tls_verify, spec.ca_file)
        if trust not in self._contexts:
            self._contexts[trust] = _ssl_context(*trust)
        return self._contexts[trust]

    async def _connect(
        self, key: _PoolKey, context: ssl.SSLContext | None, progress: _Progress, fresh: bool
    ) -> _Connection:
        """An idle connection of this pool, or a new one (connect, then the TLS handshake);
        `fresh`: a new one, and the idle ones are dropped (the member closed one of them,
        so it has likely closed the others too)."""
        idle = self._idle.get(key, [])
        while idle and fresh:
            idle.pop().close()
        while idle:
            connection = idle.pop()
            if connection.reusable():
                return connection
            connection.close()
        progress.fresh_connection = True
        _, _, _, address, port, server_name = key
        reader, writer = await asyncio.open_connection(address, port, limit=HEAD_LIMIT)
        connection = _Connection(reader, writer)
        if context is not None:
            progress.step = "tls"
            try:
                await writer.start_tls(context, server_hostname=server_name)
            except BaseException:
                connection.close()
                raise
        return connection

    def _release(self, key: _PoolKey, connection: _Connection) -> None:
        idle = self._idle.setdefault(key, [])
        if self._closed or len(idle) >= KEEPALIVE_PER_MEMBER:
            connection.close()
            return
        connection.idle_since = time.monotonic()
        idle.append(connection)


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


@functools.lru_cache(maxsize=4096)
def _address(target: str) -> str:
    """The target as a normalised IP address, or "" when it is a host name (cached:
    parsing an address costs more than the rest of resolving it)."""
    try:
        return str(ipaddress.ip_address(target.strip("[]")))
    except ValueError:
        return ""


async def _resolve(target: str, port: int) -> list[_Endpoint]:
    """Addresses to try, in the resolver's order; an address target is used as it is."""
    address = _address(target)
    if address:
        return [_Endpoint(address, port)]
    loop = asyncio.get_running_loop()
    infos = await loop.run_in_executor(
        _resolver(), lambda: socket.getaddrinfo(target, port, type=socket.SOCK_STREAM)
    )
    addresses = dict.fromkeys(str(info[4][0]) for info in infos)
    return [_Endpoint(address, port, target) for address in addresses]


async def _probe(prober: Prober, spec: CheckSpec, target: str) -> ProbeResult:
    try:
        # Before the clock starts: loading a CA store is our cost, not the member's latency.
        context = prober._context(spec)
    except OSError as exc:  # ssl.SSLError is one too
        return ProbeResult(False, f"cannot load the CA bundle {spec.ca_file}: {exc}", 0.0)
    progress = _Progress(target, spec.timeout)
    try:
        async with asyncio.timeout(spec.timeout):
            return await _probe_endpoints(prober, context, spec, target, progress)
    except TimeoutError:
        return progress.timed_out()


async def _probe_endpoints(
    prober: Prober,
    context: ssl.SSLContext | None,
    spec: CheckSpec,
    target: str,
    progress: _Progress,
) -> ProbeResult:
    try:
        endpoints = await _resolve(target, spec.port)
    except (OSError, UnicodeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return progress.result(False, f"cannot resolve {target} ({detail})")
    result = progress.result(False, f"cannot resolve {target} (no address)")
    for endpoint in endpoints:
        progress.endpoint, progress.step = endpoint, "connect"
        if spec.kind == "tcp":
            result = await _probe_tcp(endpoint, progress)
        else:
            result = await _probe_http(prober, context, spec, endpoint, progress)
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
    prober: Prober,
    context: ssl.SSLContext | None,
    spec: CheckSpec,
    endpoint: _Endpoint,
    progress: _Progress,
) -> ProbeResult:
    try:
        return await _send(prober, context, spec, endpoint, progress)
    except (OSError, _BadAnswer) as exc:  # ssl errors are OSErrors
        return progress.result(False, _failure_reason(exc, endpoint))
    except ValueError as exc:  # e.g. an SNI name ssl will not send
        return progress.result(False, f"cannot probe {endpoint.label}: {exc}")


async def _send(
    prober: Prober,
    context: ssl.SSLContext | None,
    spec: CheckSpec,
    endpoint: _Endpoint,
    progress: _Progress,
) -> ProbeResult:
    try:
        return await _exchange(prober, context, spec, endpoint, progress)
    except (_Disconnected, ConnectionError):
        # A pooled connection the server closed just as we sent on it: ask once more on a
        # fresh one, as browsers do, rather than call the member down.
        if progress.fresh_connection or progress.step != "answer":
            raise
        return await _exchange(prober, context, spec, endpoint, progress, fresh=True)


async def _exchange(
    prober: Prober,
    context: ssl.SSLContext | None,
    spec: CheckSpec,
    endpoint: _Endpoint,
    progress: _Progress,
    fresh: bool = False,
) -> ProbeResult:
    scheme = "http" if context is None else "https"
    server_name = (spec.sni or endpoint.name or endpoint.address) if context else ""
    key = (spec.tls_verify, spec.ca_file, scheme, endpoint.address, endpoint.port, server_name)
    progress.fresh_connection = False
    connection = await prober._connect(key, context, progress, fresh)
    reusable = False
    try:
        progress.step = "answer"
        method = _method(spec)
        connection.writer.write(_request(spec, method, endpoint, scheme))
        progress.status, keep_alive, headers = await _read_head(connection.reader)
        progress.step = "body"
        problem = _certificate_problem(connection, spec, endpoint)
        body, complete = await _read_body(connection.reader, method, progress.status, headers)
        reusable = keep_alive and complete
    finally:
        if reusable:
            prober._release(key, connection)
        else:
            connection.close()
    if problem:
        return progress.result(False, problem)
    return _judge(spec, endpoint, body, progress)


def _method(spec: CheckSpec) -> str:
    # Vault's health is in the status code: HEAD spares it the body unless we match on one.
    if spec.kind == "vault" and spec.method.upper() == "GET" and not spec.body_contains:
        return "HEAD"
    return spec.method.upper()


# What may stand in a request target unescaped (RFC 3986 path and query characters, and
# "%" so that the owner's own escapes are kept); anything else is percent-encoded.
_TARGET_SAFE = "/?:@!$&'()*+,;=-._~%"


@functools.lru_cache(maxsize=4096)
def _request(spec: CheckSpec, method: str, endpoint: _Endpoint, scheme: str) -> bytes:
    """The request's bytes (cached: a member is asked the same thing every interval)."""
    path = VAULT_HEALTH_PATH if spec.kind == "vault" and spec.path == "/" else spec.path
    target = urllib.parse.quote(path.partition("#")[0], safe=_TARGET_SAFE)
    default_port = {"http": 80, "https": 443}[scheme] == endpoint.port
    given = {name.lower() for name, _ in spec.headers}
    defaults = [
        ("Host", endpoint.host if default_port else f"{endpoint.host}:{endpoint.port}"),
        ("User-Agent", "ddns-failover-probe"),
        ("Accept", "*/*"),
        ("Accept-Encoding", "identity"),
        ("Connection", "keep-alive"),
    ]
    headers = [(n, v) for n, v in defaults if n.lower() not in given] + list(spec.headers)
    if endpoint.name and "host" not in given:
        # A name target sends its name as Host, as a browser would (headers are ASCII).
        name = endpoint.name.encode("idna").decode("ascii")
        headers[0] = ("Host", name if default_port else f"{name}:{endpoint.port}")
    lines = [f"{method} {target} HTTP/1.1", *(f"{n}: {v}" for n, v in headers), "", ""]
    return "\r\n".join(lines).encode("ascii")


class _BadAnswer(Exception):
    """The member answered something that is not HTTP/1.x."""


class _Disconnected(_BadAnswer):
    """The member closed the connection before answering."""


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, bool, dict[str, str]]:
    """Status, whether the connection may be kept, and the headers (names lowercased) of
    the final answer; interim 1xx answers are skipped."""
    while True:
        line = await _line(reader, first=True)
        version, _, rest = line.partition(" ")
        code = rest[:3]
        if not (version in ("HTTP/1.1", "HTTP/1.0") and code.isdigit() and len(code) == 3):
            raise _BadAnswer(f"not an HTTP status line: {line[:80]!r}")
        headers: dict[str, str] = {}
        while line := await _line(reader):
            name, colon, value = line.partition(":")
            if not colon or len(headers) > MAX_HEADERS:
                raise _BadAnswer(f"bad header line {line[:80]!r}")
            headers[name.strip().lower()] = value.strip()
        if not 100 <= int(code) < 200:
            tokens = {t.strip().lower() for t in headers.get("connection", "").split(",")}
            keep = "keep-alive" in tokens if version == "HTTP/1.0" else "close" not in tokens
            return int(code), keep, headers


async def _line(reader: asyncio.StreamReader, first: bool = False) -> str:
    try:
        line = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:
        if first and not exc.partial:
            raise _Disconnected("closed the connection without answering") from None
        raise _BadAnswer("the answer ended in its header") from None
    except asyncio.LimitOverrunError:
        raise _BadAnswer(f"a header line longer than {HEAD_LIMIT} bytes") from None
    return line.decode("latin-1").rstrip("\r\n")


async def _read_body(
    reader: asyncio.StreamReader, method: str, status: int, headers: dict[str, str]
) -> tuple[bytes, bool]:
    """Up to BODY_LIMIT bytes of the body, and whether all of it was read (so the
    connection can serve the next probe)."""
    if method == "HEAD" or status in (204, 304):
        return b"", True
    try:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return await _read_chunked(reader)
        if "content-length" in headers:
            length = int(headers["content-length"])
            body = await reader.readexactly(min(length, BODY_LIMIT))
            return body, length <= BODY_LIMIT
        return await _read_to_close(reader), False
    except asyncio.IncompleteReadError:
        raise _BadAnswer("the body ended before its announced length") from None
    except ValueError:
        raise _BadAnswer("a body length that is not a number") from None


async def _read_to_close(reader: asyncio.StreamReader) -> bytes:
    """A body without a length: until the member closes the connection."""
    body = bytearray()
    while len(body) < BODY_LIMIT and (chunk := await reader.read(BODY_LIMIT - len(body))):
        body += chunk
    return bytes(body)


async def _read_chunked(reader: asyncio.StreamReader) -> tuple[bytes, bool]:
    body = bytearray()
    while True:
        size = int((await _line(reader)).partition(";")[0], 16)
        if size == 0:
            while await _line(reader):  # trailers, up to the empty line
                pass
            return bytes(body), True
        take = min(size, BODY_LIMIT - len(body))
        body += await reader.readexactly(take)
        if len(body) >= BODY_LIMIT:
            return bytes(body), False  # the rest is never read: the connection is not kept
        await _line(reader)  # the CRLF after each chunk


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


def _certificate_problem(connection: _Connection, spec: CheckSpec, endpoint: _Endpoint) -> str:
    """Why the member's certificate is too close to expiry, or "" when it is not."""
    # Read even when verification is off: an unverified certificate still expires.
    tls = connection.writer.get_extra_info("ssl_object")
    der = tls.getpeercert(binary_form=True) if isinstance(tls, ssl.SSLObject) else None
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
    if isinstance(exc, _Disconnected):
        return f"{where} closed the connection without answering"
    if isinstance(exc, _BadAnswer):
        return f"invalid HTTP answer from {where}: {exc}"
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return f"cannot reach {where}: {detail or type(exc).__name__}"


def _causes(exc: BaseException | None) -> Iterator[BaseException]:
    """The exception and what it wraps (ssl and asyncio errors may chain the OSError)."""
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
