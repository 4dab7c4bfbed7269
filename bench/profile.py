"""Optional py-spy profiles of the gunicorn workers while wrk runs (`--profile DIR`).

By default py-spy samples every worker with --idle (wall clock), so time spent waiting
(database, named, the next connection) shows as well as CPU. The summary adds up the
collapsed stacks of all workers and prints, per function, the share of samples it
appears in. Also here: the workers' CPU time, which the bench reports per request.
"""

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

RATE = 250  # samples/s per worker: fine enough for 10 s runs, cheap enough on 2 cores
# Frames of our own code, as py-spy names files (relative to their sys.path entry).
PROJECT_APPS = ("domains", "dyndns2", "portal", "accounts", "failover", "bench", "ddns")
PROJECT_PACKAGES = tuple(f"({app}/" for app in PROJECT_APPS)
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^:()]+):(?P<line>\d+)\)$")


def py_spy() -> str | None:
    return shutil.which("py-spy") or _beside_python("py-spy")


def _beside_python(name: str) -> str | None:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else None


def worker_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text()
    return [int(pid) for pid in children.split()]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the processes have used so far (from /proc/PID/stat)."""
    ticks = 0
    for pid in pids:
        # Fields after the ")" that closes the command name: utime and stime are 14 and 15.
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def start(
    pids: list[int], duration: int, output: Path, wall_clock: bool = True
) -> list[subprocess.Popen]:
    """One py-spy per worker, recording for the scenario's duration.

    Wall clock (--idle) shows where requests wait; CPU only shows what makes them cost.
    """
    binary = py_spy()
    if binary is None:
        raise RuntimeError("py-spy is not installed: .venv/bin/pip install py-spy")
    output.mkdir(parents=True, exist_ok=True)
    command = [binary, "record", "--format", "raw", "-r", str(RATE), "-d"]
    if wall_clock:
        command.insert(2, "--idle")
    return [
        subprocess.Popen(
            [*command, str(duration), "-p", str(pid), "-o", str(output / f"worker-{pid}.txt")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in pids
    ]


def finish(recorders: list[subprocess.Popen], output: Path, top: int = 12) -> str:
    """Wait for the recorders; summarise where the workers spent their time."""
    for recorder in recorders:
        recorder.wait(timeout=60)
    inclusive, leaf, total = _count(output.glob("worker-*.txt"))
    lines = [f"py-spy: {total} samples from {len(recorders)} workers"]
    lines.append("  where the time is spent (self):")
    lines += [f"  {n / total:7.1%}  {key}" for key, n in leaf.most_common(top)]
    lines.append("  project code, by line (inclusive):")
    ours = [(key, n) for key, n in inclusive.most_common() if _is_ours(key)]
    lines += [f"  {n / total:7.1%}  {key}" for key, n in ours[:top]]
    return "\n".join(lines)


def _count(files: Iterable[Path]) -> tuple[Counter, Counter, int]:
    inclusive: Counter = Counter()
    leaf: Counter = Counter()
    total = 0
    for path in files:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            samples = int(count)
            frames = [_key(frame) for frame in stack.split(";")]
            total += samples
            leaf[frames[-1]] += samples
            for key in set(frames):  # recursion counts once per stack
                inclusive[key] += samples
    return inclusive, leaf, max(total, 1)


def _is_ours(key: str) -> bool:
    return any(package in key for package in PROJECT_PACKAGES)


def _key(frame: str) -> str:
    """Function and file; our own frames keep the line, which tells which call waits."""
    match = _FRAME.match(frame)
    if not match:
        return frame
    if _is_ours(f"({match['file']}"):
        return f"{match['function']} ({match['file']}:{match['line']})"
    return f"{match['function']} ({match['file']})"
