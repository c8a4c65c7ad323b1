"""Over real uvicorn: invalid UTF-8 closes the socket 1007 and is logged once, briefly, however often it comes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.peers import seed
from tests.faults.rawws import RawSocket
from tests.support.server import Server

ATTEMPTS = 30


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    seed(tmp_path)
    srv = Server(tmp_path).start()
    yield srv
    srv.kill()


@pytest.mark.parametrize("after_hello", [False, True], ids=["first-frame", "after-hello"])
def test_invalid_utf8_frames_close_1007_and_log_one_line_without_traceback(server: Server, after_hello: bool) -> None:
    token = str(server.join("RIVER9", "Noisy")["token"]) if after_hello else ""
    for _ in range(ATTEMPTS):
        raw = RawSocket(server.port)
        try:
            if after_hello:
                raw.send_text(json.dumps({"type": "hello", "v": 1, "token": token}))
                assert json.loads(raw.recv_frame()[1])["type"] == "welcome"
            raw.send_frame(b'{"type":"ping","x":"\xff\xfe"}')
            assert raw.close_code() == 1007
        finally:
            raw.close()
    log = server.log_text()
    assert "Traceback" not in log
    assert "ERROR" not in log
    assert log.count("invalid UTF-8") == 1
