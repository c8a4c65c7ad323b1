"""Close codes are defined once (rooms/protocol.py): the pages hand them to their scripts, which hold no copy."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from app.demo import DemoData
from rooms.protocol import CLOSE_AUTH_FAILED, PROTOCOL_VERSION, client_codes
from tests.support.staff_login import login

ROOT = Path(__file__).resolve().parents[2]
CODES = set(client_codes()["close"].values())
_PROTOCOL_SCRIPT = re.compile(r'<script type="application/json" id="protocol">(.*?)</script>', re.S)


def _handed(page: str) -> dict[str, object]:
    found = _PROTOCOL_SCRIPT.search(page)
    assert found is not None, "the page has no protocol script"
    handed: dict[str, object] = json.loads(found.group(1))
    return handed


def _chat_page(client: TestClient) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/join").text)
    assert token is not None
    form = {"csrf_token": token.group(1), "code": "RIVER9", "name": "Alice"}
    client.post("/join", data=form)
    return client.post("/join", data={**form, "step": "2", "country": "GB", "languages": "en"}).text


def test_protocol_codes_reach_the_chat_script_and_name_its_close_texts(client: TestClient, demo: DemoData) -> None:
    page = _chat_page(client)
    handed = _handed(page)
    assert handed == client_codes()
    assert handed["version"] == PROTOCOL_VERSION
    assert handed["close"]["auth_failed"] == CLOSE_AUTH_FAILED  # type: ignore[index]
    strings = re.search(r'<script type="application/json" id="i18n">(.*?)</script>', page, re.S)
    assert strings is not None
    closed = json.loads(strings.group(1))["closed"]
    assert {int(code) for code in closed} <= CODES
    assert str(CLOSE_AUTH_FAILED) in closed


def test_protocol_codes_reach_the_console_script(client: TestClient, demo: DemoData) -> None:
    login(client, "facilitator", demo.logins["facilitator"])
    assert _handed(client.get(f"/facilitate/{demo.session_id}").text) == client_codes()


@pytest.mark.parametrize("script", sorted((ROOT / "static" / "js").glob("*.js")), ids=lambda p: p.name)
def test_protocol_codes_have_no_copy_in_scripts(script: Path) -> None:
    text = script.read_text(encoding="utf-8")
    copies = sorted(int(n) for n in re.findall(r"(?<![\w.])\d{4}(?![\w.])", text) if int(n) in CODES and int(n) != 1000)
    assert copies == []  # 1000 is also a second in milliseconds; the codes' own check below covers it
    assert re.findall(r"\.code\s*[!=]==?\s*\d", text) == []
    assert re.findall(r"\bv:\s*\d", text) == []


def _is_number(node: ast.expr) -> bool:
    if isinstance(node, ast.BoolOp):  # `conn.close_code or 1000`
        return any(_is_number(value) for value in node.values)
    return isinstance(node, ast.Constant) and isinstance(node.value, int)


def _bare_close_codes(path: Path) -> list[int]:
    """Lines calling ``.close(<number>, ...)``: a close code spelled as a number instead of a CLOSE_ name."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "close"
        and node.args
        and _is_number(node.args[0])
    ]


HUB = ROOT / "rooms" / "hub.py"


def test_protocol_codes_have_no_bare_number_in_python() -> None:
    sources = [p for package in ("app", "rooms", "translation") for p in (ROOT / package).rglob("*.py")]
    found = {
        str(path.relative_to(ROOT)): lines
        for path in sources
        if path != HUB and "migrations" not in path.parts and (lines := _bare_close_codes(path))
    }
    assert found == {}


def test_protocol_codes_have_no_bare_number_in_the_hub() -> None:
    assert _bare_close_codes(HUB) == []
