"""Raw HTTP/1.1 over a socket, for what ``requests`` will not send: an over-long
request line, a malformed ``Content-Length``, a body dribbled over seconds, a
connection from another loopback address (``127.0.0.2``...)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass
class RawAnswer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def connect(port: int, source: str = "127.0.0.1", timeout: float = 30) -> socket.socket:
    sock = socket.create_connection(
        ("127.0.0.1", port), timeout=timeout, source_address=(source, 0)
    )
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def request_head(
    method: str, path: str, headers: dict[str, str] | Iterable[tuple[str, str]]
) -> bytes:
    items = headers.items() if isinstance(headers, dict) else headers
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in items]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunked(body: bytes, size: int = 1000) -> bytes:
    """``body`` in the chunked transfer coding, ``size`` bytes a chunk."""
    out = bytearray()
    for start in range(0, len(body), size):
        piece = body[start : start + size]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    return bytes(out + b"0\r\n\r\n")


def read_answer(sock: socket.socket) -> RawAnswer:
    """Everything the server sends until it closes (we always ask it to)."""
    data = bytearray()
    while True:
        try:
            piece = sock.recv(65536)
        except ConnectionResetError:
            break
        if not piece:
            break
        data += piece
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        body = _unchunk(body)
    return RawAnswer(int(status_line.split()[1]), headers, body)


def _unchunk(body: bytes) -> bytes:
    out = bytearray()
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2 :]
    return bytes(out)


def exchange(port: int, raw: bytes, source: str = "127.0.0.1") -> RawAnswer:
    """Send ``raw`` as it is and read the answer."""
    with connect(port, source) as sock:
        sock.sendall(raw)
        return read_answer(sock)


def dribble(sock: socket.socket, body: bytes, seconds: float) -> None:
    """Send ``body`` a byte at a time, spread evenly over ``seconds`` (a slow
    client on a bad line: the pauses are the behaviour under test, not a wait)."""
    pause = seconds / max(len(body), 1)
    for index in range(len(body)):
        sock.sendall(body[index : index + 1])
        time.sleep(pause)
