"""Session exports parse back: the transcript (CSV/JSON) and the safeguarding record (CSV/JSON)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from app.demo import DemoData
from app.facilitation.exports import to_csv
from tests.support.staff_login import login
from tests.support.students import hello, join, send, until


def parse(body: str, fmt: str, key: str) -> list[dict[str, Any]]:
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(body)))
    rows: list[dict[str, Any]] = json.loads(body)[key]
    return rows


@pytest.fixture
def conversation(client: TestClient, demo: DemoData) -> dict[str, int]:
    """Alice and Bruno chat; one message is blocked (contact data), one deleted, one reported; then a prompt."""
    csrf = login(client, "facilitator", demo.logins["facilitator"])
    alice, bruno = join(client, "RIVER9", "Alice"), join(client, "CERVA3", "Bruno")
    base = f"/facilitate/{demo.session_id}"
    with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b:
        hello(a, alice["token"])
        hello(b, bruno["token"])
        until(a, "paired")
        send(a, "e1", "Hello, I live by the river")
        kept = until(a, "ack")["id"]
        send(a, "e2", "call me on +44 7700 900123")
        blocked = until(a, "ack")["id"]
        send(b, "e3", "eres tonto")
        deleted = until(b, "ack")["id"]
        client.post(f"{base}/messages/{deleted}/delete", data={"csrf_token": csrf, "reason": "insult"})
        send(b, "e4", "vale, lo siento")
        reported = until(b, "ack")["id"]
        a.send_json({"type": "report", "message_id": reported, "reason": "other"})
        until(a, "reported")
        client.post(f"{base}/prompt/next", data={"csrf_token": csrf})
        until(a, "event")
    return {"kept": kept, "blocked": blocked, "deleted": deleted, "reported": reported}


@pytest.mark.parametrize("fmt", ["csv", "json"], ids=["csv", "json"])
def test_transcript_has_what_students_saw_and_not_deleted_or_blocked(
    client: TestClient, demo: DemoData, conversation: dict[str, int], fmt: str
) -> None:
    response = client.get(f"/facilitate/{demo.session_id}/export/transcript.{fmt}")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    rows = parse(response.text, fmt, "transcript")
    ids = [int(r["message_id"]) for r in rows]
    assert conversation["kept"] in ids
    assert conversation["reported"] in ids
    assert conversation["deleted"] not in ids
    assert conversation["blocked"] not in ids
    first = next(r for r in rows if int(r["message_id"]) == conversation["kept"])
    assert (first["sender"], first["country"], first["language"], first["state"]) == ("Alice", "GB", "en", "visible")
    assert first["text"] == "Hello, I live by the river"
    assert first["time_utc"].endswith("Z")
    assert rows[-1]["kind"] == "prompt"


@pytest.mark.parametrize("fmt", ["csv", "json"], ids=["csv", "json"])
def test_safeguarding_export_has_moderated_messages_and_every_action(
    client: TestClient, demo: DemoData, conversation: dict[str, int], fmt: str
) -> None:
    rows = parse(client.get(f"/facilitate/{demo.session_id}/export/safeguarding.{fmt}").text, fmt, "safeguarding")
    messages = {int(r["id"]): r for r in rows if r["record"] == "message"}
    actions = [r["state_or_action"] for r in rows if r["record"] == "action"]
    assert set(messages) == {conversation["blocked"], conversation["deleted"], conversation["reported"]}
    assert messages[conversation["blocked"]]["state_or_action"] == "blocked"
    blocked = messages[conversation["blocked"]]
    assert "7700 900123" in f"{blocked['text']} {blocked['original_text']}"
    assert messages[conversation["deleted"]]["text"] == "eres tonto"
    assert "other by Alice (open)" in messages[conversation["reported"]]["reports"]
    assert {"delete", "next_prompt"} <= set(actions)


@pytest.mark.parametrize(
    ("cell", "written"),
    [("=HYPERLINK(1)", "'=HYPERLINK(1)"), ("+1", "'+1"), ("plain", "plain"), (None, "")],
    ids=["formula", "plus", "plain", "none"],
)
def test_csv_cells_that_spreadsheets_would_run_are_defused(cell: str | None, written: str) -> None:
    (row,) = list(csv.DictReader(io.StringIO(to_csv([{"text": cell}], ["text"]))))
    assert row["text"] == written


def test_exports_are_audited(client: TestClient, demo: DemoData, conversation: dict[str, int]) -> None:
    client.get(f"/facilitate/{demo.session_id}/export/transcript.json")
    rows = parse(client.get(f"/facilitate/{demo.session_id}/export/safeguarding.json").text, "json", "safeguarding")
    exports = [r["reason"] for r in rows if r["state_or_action"] == "export"]
    assert exports == ["transcript.json"]  # this download is logged after its rows were read
