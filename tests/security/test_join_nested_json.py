"""POST /api/join refuses hostile JSON with a clear 400 instead of failing inside the parser."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from app.demo import DemoData

DEEP = 100_000


@pytest.mark.parametrize(
    "body",
    [
        b"[" * DEEP + b"]" * DEEP,
        b'{"code": "RIVER9", "name": "Nest", "languages": ' + b"[" * DEEP + b"]" * DEEP + b"}",
        b'{"code": "RIVER9", "name": ' + b'{"a":' * DEEP + b"1" + b"}" * DEEP + b"}",
    ],
    ids=["nested-array", "nested-field", "nested-objects"],
)
def test_join_api_deeply_nested_json_is_a_clear_400(client: TestClient, demo: DemoData, body: bytes) -> None:
    response = client.post("/api/join", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"error": "bad_json", "message": "The JSON is nested too deeply."}
    assert client.post("/api/join", json={"code": "RIVER9", "name": "After"}).status_code == 201
