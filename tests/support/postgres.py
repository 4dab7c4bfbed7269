"""A PostgreSQL server of the test's own (initdb in a temp dir, a free port, trust auth),
for tests that stop and start the database. The machine's own server is never touched."""

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from devtools import named
from tests.support.tools import require_tool

PG_BIN = Path("/usr/lib/postgresql/15/bin")
# PostgreSQL refuses to run as root: as root, the server runs as this account.
SERVER_ACCOUNT = "postgres"


@dataclass
class Postgres:
    directory: Path
    port: int

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self._pg_ctl("start", "-w", "-t", "30", "-l", str(self.directory / "server.log"),
                     "-o", f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
                     "-c fsync=off -c full_page_writes=off")  # fmt: skip

    def stop(self) -> None:
        """Fast shutdown: open sessions are cut, as in a restart by the operator."""
        self._pg_ctl("stop", "-m", "fast", "-w", "-t", "30")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def create_database(self, name: str) -> str:
        self._run(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", "postgres", name)  # fmt: skip
        return self.url(name)

    def remove(self) -> None:
        if self.running():
            self._pg_ctl("stop", "-m", "immediate", "-w", "-t", "30")
        shutil.rmtree(self.directory, ignore_errors=True)

    def _pg_ctl(self, *args: str) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args)

    def _run(self, *command: str) -> None:
        account = _server_account()
        subprocess.run(
            command,
            check=True,
            capture_output=True,
            user=account.pw_uid if account else None,
            group=account.pw_gid if account else None,
            env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8"},
        )


def start_postgres() -> Postgres:
    require_tool(str(PG_BIN / "initdb"), "postgresql-15")
    directory = Path(tempfile.mkdtemp(prefix="pg-fault-"))
    account = _server_account()
    if account:
        os.chown(directory, account.pw_uid, account.pw_gid)
    server = Postgres(directory=directory, port=named.free_port())
    started = time.monotonic()
    server._run(str(PG_BIN / "initdb"), "-D", str(server.data), "-U", "postgres",
                "--auth=trust", "-E", "UTF8", "--no-sync")  # fmt: skip
    server.start()
    assert time.monotonic() - started < 60, "PostgreSQL took over a minute to start"
    return server


def _server_account() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    return pwd.getpwnam(SERVER_ACCOUNT)
