"""Garbage bodies on every POST route (listed from the app at collection time): never a 500."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from starlette.routing import Route
from starlette.testclient import TestClient

from app.db import make_engine
from app.demo import DemoData, seed_demo
from app.main import create_app
from app.settings import Settings
from tests.conftest import make_settings
from tests.security.world import ADMIN, PASSWORD, World, add_admin, build_world
from tests.support.staff_login import csrf_from, login

_APP = create_app(make_settings(Path(tempfile.gettempdir()) / "bridgeway-route-list"))
POST_ROUTES = sorted(
    r.path for r in _APP.routes if isinstance(r, Route) and r.methods is not None and "POST" in r.methods
)
# Field names the real forms use (templates' name="..."), so garbage reaches the parsers, not just the defaults.
FIELDS = sorted(
    {
        "name", "languages", "username", "topic", "timezone", "text", "room_size", "password", "notice", "next",
        "mode", "minutes", "message_id", "max_per_class", "country", "code", "weeks", "title", "step",
        "start_time", "start_date", "size", "seconds", "safeguarding_email", "room_id", "role", "reason",
        "prompts", "partner_class_id", "participant_id", "lang", "holidays", "facilitator_id", "end_time",
        "end_date", "display_name", "availability", "age_band",
    }
)  # fmt: skip
NASTY = [
    "", " ", "0", "-1", "1e309", "99999999999999999999999", "NaN", "2026-02-30", "2026-13-45", "25:99", "24:00",
    "9999-12-31", "0001-01-01", "Mars/Olympus", "x" * 5000, "<script>alert(1)</script>", "null", "[]", "{}",
    '{"a":[[[[[[]]]]]]}', "\x00", "\u202e", "\u200b", "../../etc/passwd", "//evil.example", "ZZ", "en,xx",
]  # fmt: skip
values = st.one_of(
    st.sampled_from(NASTY), st.text(max_size=60), st.text(alphabet=st.characters(categories=["Cs", "Lu"]), max_size=8)
)
forms = st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=8)), values, max_size=10)
json_bodies = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
raw_bodies = st.binary(max_size=300)
FUZZ = hsettings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def _fuzz_settings(data_dir: Path) -> Settings:
    return make_settings(data_dir, message_rate="100000/second", moderation_flood_messages=100000)


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    shutil.copy(migrated_template, tmp_path / "bridgeway.db")
    return _fuzz_settings(tmp_path)


def _form(body: dict[Any, Any]) -> dict[str, str]:
    """Form fields as a browser could send them (a form cannot carry lone surrogates; JSON bodies can)."""
    return {_text(k): _text(v) for k, v in body.items()}


def _text(value: Any) -> str:
    return str(value).encode("utf-8", "replace").decode()


def _post(client: TestClient, path: str, kind: str, body: Any, csrf: str) -> int:
    if kind == "form":
        response = client.post(path, data={"csrf_token": csrf, **body}, follow_redirects=False)
    elif kind == "json":
        response = client.post(
            path,
            content=json.dumps(body).encode(),
            headers={"content-type": "application/json", "x-csrf-token": csrf},
            follow_redirects=False,
        )
    else:
        ctype = "application/x-www-form-urlencoded" if kind == "raw-form" else "application/json"
        response = client.post(
            path, content=body, headers={"content-type": ctype, "x-csrf-token": csrf}, follow_redirects=False
        )
    return response.status_code


@dataclass(frozen=True)
class WorldTemplate:
    database: Path
    world: World


@pytest.fixture(scope="module")
def world_template(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> WorldTemplate:
    """The demo, an admin and two students who chatted, built once through the app; each test gets a copy.

    Building it took about half of each route's test (the students wait for the lobby to pair them).
    """
    data_dir = tmp_path_factory.mktemp("world")
    shutil.copy(migrated_template, data_dir / "bridgeway.db")
    config = _fuzz_settings(data_dir)
    engine = make_engine(config.database_url)
    demo = seed_demo(engine, config)
    engine.dispose()
    with TestClient(create_app(config), base_url="http://testserver") as client:
        world = build_world(client, demo, config)
    add_admin(config)
    engine = make_engine(config.database_url)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return WorldTemplate(data_dir / "bridgeway.db", world)


@pytest.fixture
def admin_client(tmp_path: Path, world_template: WorldTemplate) -> Iterator[TestClient]:
    """A client of a fresh app on a fresh copy of the world."""
    shutil.copy(world_template.database, tmp_path / "bridgeway.db")
    with TestClient(create_app(_fuzz_settings(tmp_path)), base_url="http://testserver") as client:
        yield client


@pytest.mark.parametrize("path", POST_ROUTES)
def test_post_route_survives_garbage_from_an_admin(
    admin_client: TestClient, world_template: WorldTemplate, path: str
) -> None:
    """Logged in as admin with a valid CSRF token, so the garbage reaches the handler's own parsing."""
    client, world = admin_client, world_template.world
    csrf = login(client, ADMIN, PASSWORD) if path not in ("/login", "/logout") else csrf_from(client.get("/").text)

    @FUZZ
    @given(
        kind=st.sampled_from(["form", "json", "raw-form", "raw-json"]),
        body=st.one_of(forms, json_bodies, raw_bodies),
        pick=st.integers(0, 3),
    )
    def fuzz(kind: str, body: Any, pick: int) -> None:
        if kind == "form":
            body = _form(body) if isinstance(body, dict) else {"text": _text(body)}
        if kind.startswith("raw") and not isinstance(body, bytes):
            body = json.dumps(body).encode()
        if kind == "json" and isinstance(body, bytes):
            body = body.decode("latin-1")
        status = _post(client, world.fill(path, pick), kind, body, csrf)
        assert status < 500, (path, kind, body)

    fuzz()


@pytest.mark.parametrize("path", ["/api/join", "/join", "/login", "/language", "/leave", "/logout"])
def test_public_post_route_survives_garbage_from_anyone(client: TestClient, demo: DemoData, path: str) -> None:
    csrf = csrf_from(client.get("/join").text)

    @FUZZ
    @given(kind=st.sampled_from(["form", "json", "raw-form", "raw-json"]), body=st.one_of(forms, json_bodies))
    def fuzz(kind: str, body: Any) -> None:
        if kind == "form":
            body = _form(body) if isinstance(body, dict) else {"code": _text(body)}
        if kind.startswith("raw"):
            body = json.dumps(body).encode()
        for token in (csrf, "forged"):
            assert _post(client, path, kind, body, token) < 500, (path, kind, body)

    fuzz()


def test_join_api_code_with_a_lone_surrogate_is_a_client_error(demo: DemoData, app: Any) -> None:
    """Regression: a lone surrogate (JSON escape \\ud800) in the code reached the database driver: 500."""
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post(
            "/api/join", content=b'{"code": "\\ud800", "name": "Alice"}', headers={"content-type": "application/json"}
        )
    assert response.status_code < 500


def test_multipart_upload_to_a_form_route_is_refused_without_leaks(client: TestClient, demo: DemoData) -> None:
    """Regression: multipart bodies were parsed for the CSRF token and never closed (a SpooledTemporaryFile each)."""
    import gc
    import sys

    csrf = csrf_from(client.get("/join").text)
    leaks: list[str] = []
    previous = sys.unraisablehook
    sys.unraisablehook = lambda info: leaks.append(repr(info.exc_value))
    try:
        files = {"upload": ("x.bin", b"\x00\xff" * 100, "application/octet-stream")}
        response = client.post("/language", data={"csrf_token": csrf, "lang": "fr"}, files=files)
        gc.collect()
    finally:
        sys.unraisablehook = previous
    assert response.status_code == 415
    assert leaks == []


@pytest.mark.postgres
def test_join_api_code_with_a_nul_is_a_client_error_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    from app.migrate import upgrade

    config = make_settings(tmp_path, database_url=postgres_url)
    engine = make_engine(postgres_url)
    upgrade(engine)
    seed_demo(engine, config)
    engine.dispose()
    with TestClient(create_app(config), raise_server_exceptions=False) as client:
        response = client.post(
            "/api/join",
            content=b'{"code": "RIVER9\\u0000", "name": "Alice"}',
            headers={"content-type": "application/json"},
        )
    assert response.status_code < 500
