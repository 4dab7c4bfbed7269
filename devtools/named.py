"""Runs a local BIND `named` for development and tests: config, zone files, start, stop.

Production runs its own BIND; this module only serves `make run`, the test suite and
the benchmarks, which all need a real authoritative server on loopback.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from domains import dns

NAMED_CANDIDATES = ("named", "/usr/sbin/named", "/usr/local/sbin/named")


class NamedNotInstalled(RuntimeError):
    pass


@dataclass(frozen=True)
class Zone:
    name: str
    key_name: str
    secret: str
    algorithm: str = "hmac-sha256"
    # "zonesub" lets the key change anything in the zone; "none" makes every update REFUSED.
    policy: str = "zonesub"


def named_binary() -> str:
    for candidate in NAMED_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    raise NamedNotInstalled("BIND is not installed: apt-get install bind9")


def free_port(host: str = "127.0.0.1") -> int:
    """A port free for both UDP and TCP on host (named listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((host, 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((host, port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port found")


def write_config(directory: Path, port: int, zones: list[Zone], host: str = "127.0.0.1") -> Path:
    """Write named.conf and any missing zone files; existing zone files and journals stay."""
    directory.mkdir(parents=True, exist_ok=True)
    blocks = [_options(directory, host, port)]
    blocks += sorted({_key_block(zone) for zone in zones})  # zones may share a key
    for zone in zones:
        blocks.append(_zone_block(zone))
        zone_file = directory / f"{zone.name}.zone"
        if not zone_file.exists():
            zone_file.write_text(_zone_file(zone.name))
    conf = directory / "named.conf"
    conf.write_text("\n".join(blocks))
    return conf


def start(
    directory: Path,
    port: int,
    zones: list[Zone],
    host: str = "127.0.0.1",
    log_path: Path | None = None,
) -> subprocess.Popen:
    """Start named in the foreground of a child process and wait until it answers."""
    conf = write_config(directory, port, zones, host)
    command = [named_binary(), "-g", "-c", str(conf)]
    if os.geteuid() == 0:
        command[1:1] = ["-u", "root"]  # stay root: the files live in our own directory
    log_path = log_path or directory / "named.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_ready(host, port, zones[0].name, process)
    except RuntimeError as exc:
        stop(process)
        tail = log_path.read_text(errors="replace").splitlines()[-5:]
        raise RuntimeError(f"{exc}\n" + "\n".join(tail)) from None
    return process


def wait_ready(
    host: str, port: int, zone: str, process: subprocess.Popen, timeout: float = 20.0
) -> None:
    """Readiness is an answered SOA query, not a sleep."""
    server = dns.Server(
        zone=zone,
        host=host,
        port=port,
        key_name="none.",
        algorithm="hmac-sha256",
        secret="",
        timeout=0.2,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"named exited with status {process.returncode}")
        try:
            if dns.lookup(server, zone, "SOA"):
                return
        except dns.DnsError:
            time.sleep(0.05)
    raise RuntimeError(f"named did not answer on {host}:{port} within {timeout:g} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def stop_stale(directory: Path) -> None:
    """Stop a named left running from this directory by an earlier run that was killed."""
    pid_file = directory / "named.pid"
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, signal.SIGTERM)
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


def _options(directory: Path, host: str, port: int) -> str:
    return f"""options {{
    directory "{directory}";
    pid-file "{directory}/named.pid";
    session-keyfile "{directory}/session.key";
    managed-keys-directory "{directory}";
    listen-on port {port} {{ {host}; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    notify no;
}};
controls {{ }};
"""


def _key_block(zone: Zone) -> str:
    return f'key "{zone.key_name}" {{ algorithm {zone.algorithm}; secret "{zone.secret}"; }};\n'


def _zone_block(zone: Zone) -> str:
    if zone.policy == "none":
        grant = "allow-update { none; };"
    else:
        grant = f'update-policy {{ grant "{zone.key_name}" zonesub ANY; }};'
    # The reconciler reads the zone back by transfer, signed with the same key.
    grant += f'\n    allow-transfer {{ key "{zone.key_name}"; }};'
    return f"""zone "{zone.name}" {{
    type primary;
    file "{zone.name}.zone";
    {grant}
}};
"""


def _zone_file(name: str) -> str:
    return f"""$TTL 60
@   IN SOA ns.{name}. hostmaster.{name}. 1 3600 600 86400 60
@   IN NS  ns.{name}.
ns  IN A   127.0.0.1
"""
