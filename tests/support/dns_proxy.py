"""A UDP relay in front of a real named that can hold DNS UPDATE messages for a while: a
slow primary, so a test can act while the service waits for the server's answer.

Queries pass at once. The message is read only as far as its header's opcode (RFC 1035
section 4.1.1; UPDATE is 5, RFC 2136), so no DNS library is needed here.
"""

import socket
import threading
import time

UPDATE_OPCODE = 5
MAX_MESSAGE = 65535


def opcode(message: bytes) -> int:
    return (message[2] >> 3) & 0x0F if len(message) > 2 else -1


class SlowUpdateRelay:
    """Listens on 127.0.0.1:`port`, relays to 127.0.0.1:`upstream_port`. UPDATE messages
    wait `update_delay` seconds (then go on, as a slow server finally applies them);
    `held` counts those that waited."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.update_delay = 0.0
        self.held = 0
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self._running = True
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while self._running:
            try:
                message, client = self._socket.recvfrom(MAX_MESSAGE)
            except OSError:
                return  # closed
            delay = self.update_delay if opcode(message) == UPDATE_OPCODE else 0.0
            if delay:
                self.held += 1
            threading.Thread(target=self._relay, args=(message, client, delay), daemon=True).start()

    def _relay(self, message: bytes, client: tuple[str, int], delay: float) -> None:
        time.sleep(delay)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as upstream:
            upstream.settimeout(3.0)
            try:
                upstream.sendto(message, self.upstream)
                answer, _ = upstream.recvfrom(MAX_MESSAGE)
                self._socket.sendto(answer, client)
            except OSError:
                return  # the server or the client went away: the client times out

    def stop(self) -> None:
        self._running = False
        self._socket.close()
        self._thread.join(timeout=2)
