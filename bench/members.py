"""Health-check targets for the HA benchmarks: one asyncio process serving many loopback
addresses on one shared port, each answering `200 ok` after a fixed delay.

    .venv/bin/python -m bench.members --port 8080 --delay 0.01 127.0.1.1 127.0.1.2 ...

It prints `ready` once every address listens, then takes one command per line on stdin
and answers each with one line on stdout:

- `refuse ADDRESS`: the member stops as a crashed process would (listener and
  connections closed, so probes are refused);
- `hang ADDRESS`: connections are still accepted but never answered (probes time out);
- `serve ADDRESS`: answers again;
- `stats`: JSON {"requests": N, "per_second": {unix second: N}} since the start.

A raw asyncio Protocol rather than an HTTP framework: the members must cost far less CPU
than the worker they load, since both share the machine's two cores.
"""

import argparse
import asyncio
import json
import sys
import time
from collections import Counter

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\n"


class Member:
    """One address: its listener, its open connections and whether it answers."""

    def __init__(self, address: str, state: "State") -> None:
        self.address = address
        self.state = state
        self.server: asyncio.Server | None = None
        self.connections: set[asyncio.Transport] = set()
        self.answering = True

    async def listen(self, port: int) -> None:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            lambda: Connection(self), self.address, port, reuse_address=True, backlog=512
        )

    def refuse(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for transport in list(self.connections):
            transport.close()


class State:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.per_second: Counter[int] = Counter()


class Connection(asyncio.Protocol):
    """HTTP/1.1 with keep-alive; requests carry no body (GET or HEAD probes)."""

    def __init__(self, member: Member) -> None:
        self.member = member
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.member.connections.add(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.transport is not None:
            self.member.connections.discard(self.transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
            self.member.state.per_second[int(time.time())] += 1
            if self.member.answering:
                loop = asyncio.get_running_loop()
                loop.call_later(self.member.state.delay, self.answer, head.startswith(b"HEAD"))

    def answer(self, head_only: bool) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(RESPONSE if head_only else RESPONSE + b"ok")


async def commands(members: dict[str, Member], state: State, port: int) -> None:
    """Read commands from stdin until it closes."""
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        verb, _, address = line.strip().partition(" ")
        reply = await run_command(verb, members.get(address), state, port)
        print(reply, flush=True)


async def run_command(verb: str, member: Member | None, state: State, port: int) -> str:
    if verb == "stats":
        per_second = {str(k): v for k, v in sorted(state.per_second.items())}
        return json.dumps({"requests": sum(state.per_second.values()), "per_second": per_second})
    if member is None:
        return "error: unknown address"
    if verb == "refuse":
        member.refuse()
    elif verb == "hang":
        member.answering = False
    elif verb == "serve":
        member.answering = True
        if member.server is None:
            await member.listen(port)
    else:
        return f"error: unknown command {verb!r}"
    return "ok"


async def main(port: int, delay: float, addresses: list[str]) -> None:
    state = State(delay)
    members = {address: Member(address, state) for address in addresses}
    await asyncio.gather(*(member.listen(port) for member in members.values()))
    print("ready", flush=True)
    await commands(members, state, port)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.01, help="seconds before answering")
    parser.add_argument("addresses", nargs="+")
    args = parser.parse_args()
    asyncio.run(main(args.port, args.delay, args.addresses))
