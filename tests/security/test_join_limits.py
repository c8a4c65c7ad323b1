"""Join limits: a class behind one address joins at once, while guessing class codes stays slow (README table)."""

from __future__ import annotations

import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from limits import parse
from starlette.testclient import TestClient

from app.demo import DemoData
from app.settings import Settings, SettingsError, load_settings
from tests.conftest import make_settings
from tests.rooms.test_server import _seed
from tests.support.server import Server, start_together
from tests.support.staff_login import csrf_from

ROOT = Path(__file__).resolve().parents[2]
DEFAULTS = {name: Settings.model_fields[name].default for name in ("join_failure_rate", "join_code_rate")}
CLASS = 35


def _default_limits(tmp_path: Path, template: Path, **overrides: str) -> Settings:
    """The shipped join limits (make_settings raises the wrong-code budget for the rest of the suite)."""
    shutil.copy(template, tmp_path / "bridgeway.db")
    return make_settings(tmp_path, **{**DEFAULTS, **overrides})


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, migrated_template: Path) -> Settings:
    return _default_limits(tmp_path, migrated_template, **getattr(request, "param", {}))


def _join_api(client: TestClient, code: str, name: str) -> httpx.Response:
    client.cookies.clear()  # every student has their own browser; they share the school's address
    return client.post("/api/join", json={"code": code, "name": name})


def _join_form(client: TestClient, code: str, name: str) -> httpx.Response:
    """The browser flow: the form page, step 1 (code and name), step 2 (country and languages)."""
    client.cookies.clear()
    csrf = csrf_from(client.get("/join").text)
    step1 = client.post("/join", data={"csrf_token": csrf, "code": code, "name": name})
    if step1.status_code != 200 or 'name="step"' not in step1.text:
        return step1
    data = {"csrf_token": csrf, "step": "2", "code": code, "name": name, "country": "GB", "languages": "en"}
    return client.post("/join", data=data, follow_redirects=False)


JOINS = {"api": (_join_api, 201), "form": (_join_form, 303)}


@pytest.mark.parametrize("flow", JOINS, ids=list(JOINS))
def test_join_whole_class_behind_one_address_within_a_minute(client: TestClient, demo: DemoData, flow: str) -> None:
    join, created = JOINS[flow]
    typos = [_join_api(client, code, "Typo") for code in ("RIVER6", "RlVER9", "RIVER6", "RIVER6")]  # from the board
    assert [r.status_code for r in typos] == [404] * 4
    statuses = [join(client, "river9 ", f"Student {i}").status_code for i in range(CLASS)]
    assert statuses == [created] * CLASS


def test_join_documented_defaults_fit_a_class(settings: Settings) -> None:
    readme = (ROOT / "README.md").read_text()
    for name in ("join_failure_rate", "join_code_rate", "join_session_rate"):
        default = Settings.model_fields[name].default
        assert re.search(rf"\| `BRIDGEWAY_{name.upper()}` \| `{re.escape(default)}` \|", readme), name
    assert parse(settings.join_code_rate).amount >= CLASS
    assert parse(Settings.model_fields["join_session_rate"].default).amount >= 2 * CLASS


def test_join_code_guessing_is_cut_off_after_the_documented_failures(client: TestClient, demo: DemoData) -> None:
    budget = parse(DEFAULTS["join_failure_rate"]).amount
    guesses = [_join_api(client, f"GUESS{i:03d}", "Mallory") for i in range(budget)]
    assert [r.status_code for r in guesses] == [404] * budget
    for code in ("GUESS999", "RIVER9", "GUESS000"):  # a new guess, the right code, an old guess: all the same answer
        refused = _join_api(client, code, "Mallory")
        assert refused.status_code == 429
        assert refused.json() == {
            "error": "rate_limited",
            "message": "Too many join attempts. Wait a minute and try again.",
        }
        assert 1 <= int(refused.headers["retry-after"]) <= 60
    form = _join_form(client, "RIVER9", "Mallory")
    assert form.status_code == 429
    assert "Too many join attempts" in form.text
    assert "retry-after" in form.headers


def test_join_concurrent_guesses_cannot_overshoot_the_budget(client: TestClient, demo: DemoData) -> None:
    budget = parse(DEFAULTS["join_failure_rate"]).amount
    codes = [f"RACE{i:04d}" for i in range(120)]
    codes[77] = "CERVA3"
    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(lambda c: client.post("/api/join", json={"code": c, "name": f"M {c}"}), codes))
    statuses = [r.status_code for r in answers]
    assert statuses.count(404) == budget
    assert statuses.count(429) + statuses.count(404) + statuses.count(201) == len(codes)
    assert statuses.count(201) <= 1


BUSY = {
    "error": "join_busy",
    "message": "Too many students are joining with this code right now. Wait a minute and try again.",
}


@pytest.mark.parametrize(
    ("settings", "joins", "still_open"),
    [
        ({"join_code_rate": "5/minute"}, ["RIVER9"] * 5, "CERVA3"),
        ({"join_session_rate": "7/minute"}, ["RIVER9", "CERVA3"] * 3 + ["RIVER9"], None),
    ],
    ids=["per-code", "per-session"],
    indirect=["settings"],
)
def test_join_success_limit_holds(client: TestClient, demo: DemoData, joins: list[str], still_open: str | None) -> None:
    assert [_join_api(client, code, f"S{i}").status_code for i, code in enumerate(joins)] == [201] * len(joins)
    for code in ("RIVER9", "CERVA3"):
        if code == still_open:
            assert _join_api(client, code, "Other class").status_code == 201
            continue
        refused = _join_api(client, code, "One too many")
        assert (refused.status_code, refused.json()) == (429, BUSY)
        assert int(refused.headers["retry-after"]) >= 1
    form = _join_form(client, joins[0], "Form too")
    assert form.status_code == 429
    assert "Too many students are joining with this code" in form.text


@pytest.mark.postgres
@pytest.mark.redis
def test_join_limits_are_shared_by_two_processes_through_redis(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    env = {
        "BRIDGEWAY_DATABASE_URL": postgres_url,
        "BRIDGEWAY_BROKER_URL": redis_url,
        "BRIDGEWAY_JOIN_CODE_RATE": "3/minute",
        "BRIDGEWAY_JOIN_FAILURE_RATE": "4/minute",
    }
    _seed(tmp_path, database_url=postgres_url)
    one, two = start_together(Server(tmp_path, env=env), Server(tmp_path, env=env))

    def join(server: Server, code: str, name: str) -> httpx.Response:
        return httpx.post(server.url + "/api/join", json={"code": code, "name": name}, timeout=10)

    try:
        joined = [join(one, "RIVER9", "A"), join(two, "RIVER9", "B"), join(one, "RIVER9", "C")]
        assert [r.status_code for r in joined] == [201] * 3
        assert join(two, "RIVER9", "D").json()["error"] == "join_busy"
        guesses = [join(server, f"GUESS{i}", "M") for i, server in enumerate([one, two, two, one])]
        assert [r.status_code for r in guesses] == [404] * 4
        assert join(two, "GUESS9", "M").json()["error"] == "rate_limited"
        assert join(one, "CERVA3", "M").json()["error"] == "rate_limited"
    finally:
        one.kill()
        two.kill()


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("BRIDGEWAY_JOIN_RATE", "10/minute", "BRIDGEWAY_JOIN_RATE: Value error, removed: joins are no longer limited"),
        ("BRIDGEWAY_JOIN_CODE_RATE", "lots", "BRIDGEWAY_JOIN_CODE_RATE: Value error, not a rate: 'lots'"),
    ],
    ids=["removed-join-rate", "bad-rate"],
)
def test_join_settings_errors_are_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv("BRIDGEWAY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)
