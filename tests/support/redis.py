"""A redis-server of the test's own on a free loopback port, nothing saved to disk, for
tests that stop and start it. The machine's own Redis is never touched."""

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from devtools import named
from tests.support.tools import require_tool


@dataclass
class RedisServer:
    directory: Path
    port: int
    process: subprocess.Popen | None = None

    def url(self, database: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        command = [
            require_tool("redis-server", "redis-server"), "--port", str(self.port),
            "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(self.directory), "--daemonize", "no",
        ]  # fmt: skip
        with open(self.directory / "redis.log", "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def _wait_ready(self, timeout: float = 10.0) -> None:
        client = redis.Redis.from_url(self.url(), socket_connect_timeout=0.2)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")


def start_redis(directory: Path) -> RedisServer:
    directory.mkdir(parents=True, exist_ok=True)
    server = RedisServer(directory=directory, port=named.free_port())
    server.start()
    return server
