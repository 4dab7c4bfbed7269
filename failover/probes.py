"""The only module that probes members over the network: HTTP(S), TCP and Vault health checks.

Plain values in, plain results out: no ORM, no settings, no DNS records, so Celery tasks and
commands can call it. A network outcome never raises: refusals, timeouts, TLS failures and
unresolvable names come back as a failed ProbeResult whose reason is a sentence for people.
Only a CheckSpec that cannot make sense raises (ValueError, when it is built).

HTTP goes through aiohttp on asyncio. One Prober keeps one client session, so repeated
probes of a member reuse its connections, and bounds how many probes run at once:

    results = probe_all_sync([(CheckSpec(kind="vault", port=8200), "vault-1.example.org")])
    async with Prober() as prober:
        result = await prober.probe(CheckSpec(kind="tcp", port=22), "192.0.2.7")
"""

import asyncio
import atexit
import contextlib
import errno
import functools
import ipaddress
import os
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

import aiohttp
from cryptography import x509
from multidict import CIMultiDict
from yarl import URL

from failover.checks import CheckSpec, ProbeResult, expires_too_soon, expiry_problem, judge

BODY_LIMIT = 64 * 1024  # bytes of a body searched for body_contains
HEAD_LIMIT = 16 * 1024  # longest status or header line
# Long enough to reuse a connection between probes a few seconds apart; a server that
# closes it earlier costs one retry, which aiohttp makes for GET and HEAD.
KEEPALIVE_SECONDS = 30.0
KEPT_SECONDS = 600.0  # how long probe_all_sync keeps one Prober per thread
USER_AGENT = "ddns-failover-probe"


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

    def __init__(self, spec: CheckSpec, target: str) -> None:
        self.spec, self.target = spec, target
        self.started = time.monotonic()
        self.step = "resolve"  # then connect, answer, body
        self.endpoint: _Endpoint | None = None
        self.status: int | None = None

    def elapsed_ms(self) -> float:
        return (time.monotonic() - self.started) * 1000

    def took(self) -> str:
        return f"{self.elapsed_ms():.0f} ms"

    def result(self, ok: bool, reason: str) -> ProbeResult:
        return ProbeResult(ok, reason, self.elapsed_ms(), self.status)

    def timed_out(self) -> ProbeResult:
        limit = f"{self.spec.timeout:g} s"
        where = self.endpoint.label if self.endpoint else self.target
        connect = "connect or TLS handshake" if self.spec.uses_tls else "connect"
        reasons = {
            "resolve": f"cannot resolve {self.target} within {limit}",
            "connect": f"{connect} timeout after {limit} to {where}",
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
        atexit.unregister(self.close)
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
        atexit.register(kept.close)  # a session closed, not left to a warning at exit
        _kept.prober = kept
    return kept


class Prober:
    """Probes many members concurrently over one aiohttp session that keeps connections.

    The session keys a kept connection by address, port, TLS context and server name, so a
    connection verified for one name or trust setting is never reused for another. No
    cookies are kept, redirects are not followed, no proxy or environment setting is used,
    and bodies are not decompressed (a check reads at most BODY_LIMIT bytes).
    """

    def __init__(self, concurrency: int = 200) -> None:
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._contexts: dict[tuple[bool, str, int], ssl.SSLContext] = {}
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    async def __aenter__(self) -> "Prober":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._closed = True
        if self._session is not None:
            await self._session.close()

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
        if not spec.uses_tls:
            return None
        key = (spec.tls_verify, spec.ca_file, spec.cert_expiry_days)
        if key not in self._contexts:
            self._contexts[key] = _ssl_context(*key)
        return self._contexts[key]

    def _client(self) -> aiohttp.ClientSession:
        """The session, made on first use: it belongs to the loop that runs the probes."""
        if self._session is None:
            steps = aiohttp.TraceConfig()
            steps.on_connection_create_end.append(_connected)
            steps.on_connection_reuseconn.append(_connected)
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=0,  # the probes' own semaphore bounds them
                    keepalive_timeout=KEEPALIVE_SECONDS,
                    use_dns_cache=False,  # targets are resolved by _resolve, at check time
                ),
                cookie_jar=aiohttp.DummyCookieJar(),
                timeout=aiohttp.ClientTimeout(),  # the probe's own deadline covers it all
                auto_decompress=False,
                trust_env=False,
                trace_configs=[steps],
                max_line_size=HEAD_LIMIT,
                max_field_size=HEAD_LIMIT,
            )
        return self._session


async def _connected(
    session: aiohttp.ClientSession, context: SimpleNamespace, params: object
) -> None:
    """Trace hook: the probe holds a connection (new or kept) and now waits for the answer."""
    context.trace_request_ctx.step = "answer"


def _ssl_context(verify: bool, ca_file: str, expiry_days: int) -> ssl.SSLContext:
    context = ssl.create_default_context()  # the system store, not certifi's
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif ca_file:
        context.load_verify_locations(cafile=ca_file)
    if expiry_days > 0:
        context.sslobject_class = _expiry_checked(expiry_days)
    return context


class _ExpiresTooSoon(ssl.SSLError):
    """The member's certificate expires within the check's window (raised in the handshake)."""

    def __init__(self, expires: datetime) -> None:
        super().__init__(f"certificate expires on {expires.isoformat()}")
        self.expires = expires


def _expiry_checked(days: int) -> type[ssl.SSLObject]:
    """TLS connections that fail their handshake when the certificate expires within `days`.

    Checked as part of the handshake, like verification, and also when verification is off
    (an unverified certificate still expires): every new connection is checked, and a kept
    one was checked when it was made.
    """

    class ExpiryChecked(ssl.SSLObject):
        def do_handshake(self) -> None:
            super().do_handshake()
            der = self.getpeercert(binary_form=True)
            expires = x509.load_der_x509_certificate(der).not_valid_after_utc if der else None
            if expires is not None and expires_too_soon(expires, days):
                raise _ExpiresTooSoon(expires)

    return ExpiryChecked


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
    progress = _Progress(spec, target)
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
    return progress.result(True, f"TCP connect to {endpoint.label} in {progress.took()}")


async def _probe_http(
    prober: Prober,
    context: ssl.SSLContext | None,
    spec: CheckSpec,
    endpoint: _Endpoint,
    progress: _Progress,
) -> ProbeResult:
    url, headers = _request(spec, endpoint)
    try:
        async with prober._client().request(
            spec.request_method,
            url,
            headers=headers,
            ssl=context or False,
            server_hostname=(spec.sni or endpoint.name or None) if context else None,
            allow_redirects=False,
            trace_request_ctx=progress,
        ) as response:
            progress.status, progress.step = response.status, "body"
            body = await _read_body(response)
    except (OSError, aiohttp.ClientError) as exc:  # ssl errors are OSErrors
        return progress.result(False, _failure_reason(exc, endpoint))
    except ValueError as exc:  # e.g. an SNI name ssl will not send
        return progress.result(False, f"cannot probe {endpoint.label}: {exc}")
    ok, reason = judge(spec, response.status, body, endpoint.label, progress.took())
    return progress.result(ok, reason)


# What may stand in a request target unescaped (RFC 3986 path and query characters, and
# "%" so that the owner's own escapes are kept); anything else is percent-encoded.
_TARGET_SAFE = "/?:@!$&'()*+,;=-._~%"


@functools.lru_cache(maxsize=4096)
def _request(spec: CheckSpec, endpoint: _Endpoint) -> tuple[URL, CIMultiDict[str]]:
    """The URL and headers (cached: a member is asked the same thing every interval)."""
    scheme = "https" if spec.uses_tls else "http"
    target = urllib.parse.quote(spec.request_path.partition("#")[0], safe=_TARGET_SAFE)
    url = URL(f"{scheme}://{endpoint.host}:{endpoint.port}{target}", encoded=True)
    # A name target sends its name as Host, as a browser would (headers are ASCII).
    host = endpoint.name.encode("idna").decode("ascii") if endpoint.name else endpoint.host
    default_port = {"http": 80, "https": 443}[scheme] == endpoint.port
    headers = CIMultiDict(
        Host=host if default_port else f"{host}:{endpoint.port}",
        Accept="*/*",
        **{"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
    )
    for name, value in spec.headers:  # the owner's headers replace ours, Host included
        headers[name] = value
    return url, headers


async def _read_body(response: aiohttp.ClientResponse) -> bytes:
    """Up to BODY_LIMIT bytes of the body; a longer one closes the connection unread."""
    body = bytearray()
    while len(body) < BODY_LIMIT and (chunk := await response.content.read(BODY_LIMIT)):
        body += chunk
    if not response.content.at_eof():
        response.close()  # the rest is never read: the connection cannot serve another probe
    return bytes(body[:BODY_LIMIT])


def _failure_reason(exc: BaseException, endpoint: _Endpoint) -> str:
    """A sentence for a failure below HTTP: refused, reset, TLS, or whatever else."""
    where = endpoint.label
    # aiohttp's connect errors are ssl errors too, wrapping the one that says what happened.
    for cause in (c for c in _causes(exc) if not isinstance(c, aiohttp.ClientError)):
        if isinstance(cause, _ExpiresTooSoon):
            return expiry_problem(cause.expires, where)
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS verification failed: {str(cause.verify_message).rstrip('.')} ({where})"
        if isinstance(cause, ssl.SSLError):
            return f"TLS handshake with {where} failed: {cause.reason or cause}"
        if isinstance(cause, ConnectionRefusedError):
            return f"connection refused by {where}"
        if isinstance(cause, OSError) and cause.errno in (errno.ECONNRESET, errno.EPIPE):
            return f"connection reset by {where}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return f"{where} closed the connection without answering"
    if isinstance(exc, aiohttp.ClientResponseError | aiohttp.ClientPayloadError):
        return f"invalid HTTP answer from {where}: {_message(exc)}"
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return f"cannot reach {where}: {detail or type(exc).__name__}"


def _message(exc: BaseException) -> str:
    return str(getattr(exc, "message", "") or exc or type(exc).__name__)


def _causes(exc: BaseException | None) -> Iterator[BaseException]:
    """The exception and what it wraps (ssl and aiohttp errors may chain the OSError)."""
    for _ in range(10):  # a chain is short; the bound guards against a cycle
        if exc is None:
            return
        yield exc
        exc = exc.__cause__ or exc.__context__
