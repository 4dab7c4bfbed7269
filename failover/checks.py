"""What a member check asks and how its answer is judged: plain values, no network.

failover.probes sends the checks; this module says what a valid check is (CheckSpec), what
a probe found (ProbeResult), and turns a status, a body and a certificate into the verdict
and the sentence people read in events ("HTTP 503 from 192.0.2.7:8200 in 12 ms").
"""

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

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

    @property
    def uses_tls(self) -> bool:
        return self.kind in ("https", "vault")

    @property
    def request_method(self) -> str:
        # Vault's health is in the status code: HEAD spares it the body unless we match on one.
        if self.kind == "vault" and self.method.upper() == "GET" and not self.body_contains:
            return "HEAD"
        return self.method.upper()

    @property
    def request_path(self) -> str:
        return VAULT_HEALTH_PATH if self.kind == "vault" and self.path == "/" else self.path


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


def judge(spec: CheckSpec, status: int, body: bytes, where: str, took: str) -> tuple[bool, str]:
    """Whether an HTTP answer is healthy under the spec, and why, in words."""
    if spec.kind == "vault":
        ok = status in VAULT_POLICIES[spec.vault_policy]
        meaning = VAULT_CODES.get(status, "(not a Vault health code)")
        reason = f"vault: {status} {meaning} from {where} in {took}"
        if not ok:
            reason += f" (not healthy under the {spec.vault_policy!r} policy)"
    else:
        ok = status in spec.expected_codes
        reason = f"HTTP {status} from {where} in {took}"
        if not ok:
            reason += f" (expected {codes_text(spec.expected_codes)})"
    if ok and spec.body_contains.encode() not in body:
        return False, f"{reason} but the body lacks {spec.body_contains!r}"
    return ok, reason


def expires_too_soon(expires: dt.datetime, days: int) -> bool:
    """Whether a certificate expiring then fails a check that wants `days` left (0 = off)."""
    return days > 0 and expires - dt.datetime.now(dt.UTC) <= dt.timedelta(days=days)


def expiry_problem(expires: dt.datetime, where: str) -> str:
    """Why a certificate that expires too soon fails the check, in words."""
    left = expires - dt.datetime.now(dt.UTC)
    if left <= dt.timedelta(0):
        return f"certificate of {where} expired on {expires.date()}"
    days = math.ceil(left / dt.timedelta(days=1))
    return f"certificate of {where} expires in {plural(days, 'day')} ({expires.date()})"


def codes_text(codes: Iterable[int]) -> str:
    """200-399, or 200, 204: runs of consecutive codes written as ranges."""
    runs: list[list[int]] = []
    for code in sorted(codes):
        if runs and code == runs[-1][-1] + 1:
            runs[-1].append(code)
        else:
            runs.append([code])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs) or "none"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
