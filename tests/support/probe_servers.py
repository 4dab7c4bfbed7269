"""Real servers on loopback for the health-probe tests, switched by the test while they run.

- ProbeTarget: an HTTP or HTTPS server answering whatever `answer` says at the time;
- SilentListener: connections complete in the kernel, nothing ever answers (a hung service);
- FullListener: the accept queue is full, so a new connection never completes;
- ResettingListener: accepts and resets every connection;
- closed_port(): a port nobody listens on (refused).

Every address in 127.0.0.0/8 is loopback on Linux, so each member gets one of its own.
"""

import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import trustme


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class _Server(ThreadingHTTPServer):
    block_on_close = False  # stopping must not wait for a handler still sleeping
    target: "ProbeTarget"

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # handshakes the client rejects and dropped connections are expected here


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def setup(self) -> None:
        target = self.server.target
        target.connections += 1
        self.answered_here = 0
        if target.keep_alive:
            self.protocol_version = "HTTP/1.1"
        if target.tls is not None:
            # The handshake runs in this connection's thread, not in the accepting loop.
            self.request = target.tls.wrap_socket(self.request, server_side=True)
        super().setup()

    def finish(self) -> None:
        super().finish()
        if self.server.target.tls is not None:
            self.request.close()  # shutdown_request() only knows the raw socket

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _answer(self, with_body: bool) -> None:
        target = self.server.target
        target.seen.append(Seen(self.command, self.path, dict(self.headers.items())))
        if target.drop_repeats and self.answered_here:
            self.close_connection = True  # as a server whose keep-alive just expired
            return
        self.answered_here += 1
        answer = target.answer
        time.sleep(answer.delay)
        body = b"" if answer.status in (204, 304) else answer.body  # these never carry one
        self.send_response(answer.status, "Status")
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if answer.status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class ProbeTarget:
    """A switchable HTTP(S) server on host: set `answer`, read `seen` and `connections`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,  # 0: any free port; a group's members share their check's port
        cert: trustme.LeafCert | None = None,
        keep_alive: bool = False,
        drop_repeats: bool = False,
    ) -> None:
        self.host = host
        self.answer = Answer()
        self.seen: list[Seen] = []
        self.server_names: list[str | None] = []
        self.connections = 0
        self.keep_alive = keep_alive or drop_repeats
        self.drop_repeats = drop_repeats  # close instead of answering a connection's 2nd request
        self.tls = self._tls_context(cert) if cert else None
        server_class = _Server6 if _family(host) == socket.AF_INET6 else _Server
        self._server = server_class((host, port), _Handler)
        self._server.target = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,))
        self._thread.start()

    def _tls_context(self, cert: trustme.LeafCert) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(context)
        context.sni_callback = lambda _conn, name, _context: self.server_names.append(name)
        return context

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class SilentListener:
    """Connections complete (the kernel queues them) but are never accepted nor answered."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._socket = socket.socket(_family(host), socket.SOCK_STREAM)
        self._socket.bind((host, 0))
        self._socket.listen(64)
        self.port = self._socket.getsockname()[1]

    def stop(self) -> None:
        self._socket.close()


class FullListener:
    """A listener whose accept queue is full: the kernel drops new SYNs, so connect hangs."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._socket = socket.socket(_family(host), socket.SOCK_STREAM)
        self._socket.bind((host, 0))
        self._socket.listen(0)
        self.port = self._socket.getsockname()[1]
        self._fillers = self._fill(host)

    def _fill(self, host: str) -> list[socket.socket]:
        fillers: list[socket.socket] = []
        for _ in range(8):
            filler = socket.socket(_family(host), socket.SOCK_STREAM)
            filler.settimeout(0.2)
            try:
                filler.connect((host, self.port))
            except TimeoutError:
                filler.close()
                return fillers
            fillers.append(filler)
        raise RuntimeError("the accept queue never filled up")

    def stop(self) -> None:
        for filler in self._fillers:
            filler.close()
        self._socket.close()


class ResettingListener:
    """Accepts each connection, waits for the request, and answers with a TCP reset."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._socket = socket.socket(_family(host), socket.SOCK_STREAM)
        self._socket.bind((host, 0))
        self._socket.listen(16)
        self.port = self._socket.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return  # stopped
            connection.recv(4096)
            # Linger 0: close() sends RST instead of FIN.
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()

    def stop(self) -> None:
        self._socket.shutdown(socket.SHUT_RDWR)
        self._socket.close()
        self._thread.join(timeout=1)


def closed_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago: connecting to it is refused."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe_socket:
        probe_socket.bind((host, 0))
        return int(probe_socket.getsockname()[1])


def can_bind(host: str) -> bool:
    try:
        with socket.socket(_family(host), socket.SOCK_STREAM) as probe_socket:
            probe_socket.bind((host, 0))
    except OSError:
        return False
    return True


class WebhookReceiver:
    """Receives webhook POSTs on loopback; answers each with the next of `statuses`."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                receiver.received.append((dict(self.headers.items()), self.rfile.read(length)))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,))
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
