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
from ops import bind

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
    blocks = [bind.options_block(directory, bind.Peer(host, port))]
    blocks += sorted({bind.key_statement(_key(zone)) for zone in zones})  # zones may share a key
    for zone in zones:
        blocks.append(_zone_block(zone))
        zone_file = directory / f"{zone.name}.zone"
        if not zone_file.exists():
            zone_file.write_text(bind.zone_file(zone.name))
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
    return run(conf, host, port, zones[0].name, log_path or directory / "named.log")


def run(conf: Path, host: str, port: int, zone: str, log_path: Path) -> subprocess.Popen:
    """Start named on a configuration already written; ready when it answers zone's SOA."""
    command = [named_binary(), "-g", "-c", str(conf)]
    if os.geteuid() == 0:
        command[1:1] = ["-u", "root"]  # stay root: the files live in our own directory
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_ready(host, port, zone, process)
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


def _key(zone: Zone) -> bind.TsigKey:
    return bind.TsigKey(zone.key_name, zone.secret, zone.algorithm)


def _zone_block(zone: Zone) -> str:
    # The key also reads the zone back by transfer, for the reconciler.
    key = _key(zone)
    if zone.policy == "none":
        return bind.primary_zone(zone.name, update_key=None, transfer_keys=[key])
    return bind.primary_zone(zone.name, update_key=key)
