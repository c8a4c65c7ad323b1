"""Server CPU a client frame takes on its way in: ``python -m bench.ws_receive [--tree ../main]``.

Serves a bare socket endpoint made of Bridgeway's own socket code (`app.ws._serve`: the reader, `parse_frame`, a
`Connection` with its direct writer) under uvicorn ``--ws websockets-sansio --loop uvloop`` on core 0, with a frame
handler that waits one loop pass (as a ``send`` waits for its commit) and answers with one short frame. A client
process on core 1 sends ``--sockets`` masked ``send`` frames a round, one a socket, and reads every answer before
the next round. Prints the server's CPU a frame (user + system, from /proc) over ``--rounds`` rounds: A/B two
checkouts with ``--tree`` (the server imports the app from that tree), alternately, in the same minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

from bench.procstat import load_average

_TICKS = os.sysconf("SC_CLK_TCK")
FRAME = b'{"type":"send","client_id":"c-000123","text":"' + b"k" * 100 + b'"}'


def serve(port: int) -> None:
    """The server process (run with the tree under test first on sys.path)."""
    import uvicorn
    from starlette.types import Receive, Scope, Send
    from starlette.websockets import WebSocket

    from app.ws import _serve
    from app.ws_direct import DirectFrames, ServerSendMiddleware
    from rooms.connection import Connection

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            return
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        conn = Connection(websocket.send_text, 256, DirectFrames.of(websocket))

        async def on_frame(c: Connection, frame: dict[str, object]) -> None:
            wake = asyncio.get_running_loop().create_future()
            asyncio.get_running_loop().call_soon(wake.set_result, None)
            await wake  # as a send waits for its commit
            c.send('{"type":"ack"}')

        await _serve(websocket, conn, on_frame)

    uvicorn.run(
        ServerSendMiddleware(endpoint),
        host="127.0.0.1",
        port=port,
        ws="websockets-sansio",
        loop="uvloop",
        http="httptools",
        interface="asgi3",
        lifespan="off",
        log_level="warning",
        ws_max_size=65536,
    )


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16))
    sock.sendall(
        b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def _masked(payload: bytes) -> bytes:
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    length = len(payload)
    head = struct.pack("!BB", 0x81, 0x80 | length) if length < 126 else struct.pack("!BBH", 0x81, 0xFE, length)
    return head + mask + body


def _read_frame(sock: socket.socket) -> bytes:
    def exact(n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    _, second = exact(2)
    return exact(second & 0x7F)


def cpu(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(stat[11]) + int(stat[12])) / _TICKS


def run(tree: Path, sockets: int, rounds: int) -> float:
    """Server CPU µs a frame."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(tree)}
    code = (
        f"import sys, importlib.util as u; sys.path.insert(0, {str(tree)!r}); "
        f"s = u.spec_from_file_location('ws_receive_server', {__file__!r}); m = u.module_from_spec(s); "
        f"s.loader.exec_module(m); m.serve({port})"
    )
    server = subprocess.Popen(["taskset", "-c", "0", sys.executable, "-c", code], env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socks = [_connect(port) for _ in range(sockets)]
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        frames = [_masked(FRAME) for _ in range(sockets)]
        for _ in range(20):  # warm up
            _round(socks, frames)
        start = cpu(server.pid)
        for _ in range(rounds):
            _round(socks, frames)
        used = cpu(server.pid) - start
        for sock in socks:
            sock.close()
        return used / (rounds * sockets) * 1e6
    finally:
        server.terminate()
        server.wait(10)


def _round(socks: list[socket.socket], frames: list[bytes]) -> None:
    for sock, frame in zip(socks, frames, strict=True):
        sock.sendall(frame)
    for sock in socks:
        _read_frame(sock)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tree", action="append", type=Path, help="checkout(s) to measure (default: this one)")
    parser.add_argument("--sockets", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.sched_setaffinity(0, {1})
    trees = args.tree or [Path(__file__).resolve().parent.parent]
    for repeat in range(args.repeat):
        for tree in trees:
            micros = run(tree.resolve(), args.sockets, args.rounds)
            print(f"{repeat} {tree}: {micros:6.1f} µs server CPU a frame, load {load_average():.1f}", flush=True)


if __name__ == "__main__":
    main()
