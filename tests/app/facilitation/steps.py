"""What the facilitation tests share: a console action posted as a script posts it."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

JSON = {"Accept": "application/json"}


def post(client: TestClient, url: str, csrf: str, **data: Any) -> Any:
    return client.post(url, data={"csrf_token": csrf, **data}, headers=JSON)
