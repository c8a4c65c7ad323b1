"""Every form error path escapes what was submitted: HTML in any field comes back as text (finding 8)."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from app.demo import DemoData
from app.main import create_app
from app.settings import Settings
from app.templating import TEMPLATES_DIR
from tests.conftest import make_settings
from tests.security.world import ADMIN, PASSWORD, add_admin, build_world
from tests.support.staff_login import csrf_from, login

PAYLOAD = "<b>x</b>"
ESCAPED = "&lt;b&gt;x&lt;/b&gt;"
_APP = create_app(make_settings(Path(tempfile.gettempdir()) / "bridgeway-route-list"))
POST_ROUTES = sorted(
    r.path for r in _APP.routes if isinstance(r, Route) and r.methods is not None and "POST" in r.methods
)
# Every field name a template's form uses, so the payload reaches each parser and each error message.
FIELDS = sorted(
    {m for t in TEMPLATES_DIR.rglob("*.html") for m in re.findall(r'name="(\w+)"', t.read_text())} - {"csrf_token"}
)


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    shutil.copy(migrated_template, tmp_path / "bridgeway.db")
    return make_settings(tmp_path, login_rate="100000/minute", join_failure_rate="100000/minute")


def _check(client: TestClient, path: str, data: dict[str, str]) -> list[str]:
    """Post the form; when it comes back with errors, the field names it has (their values are echoed there)."""
    response = client.post(path, data=data, follow_redirects=False)
    if not response.headers.get("content-type", "").startswith("text/html"):
        return []
    assert PAYLOAD not in response.text, f"{path} rendered {sorted(data)} unescaped"
    form = re.search(rf'<form[^>]*action="{re.escape(path)}".*?</form>', response.text, re.DOTALL)
    if response.status_code != 400 or form is None:
        return []
    return sorted(set(re.findall(r'name="(\w+)"', form.group(0))) - {"csrf_token"})


def test_form_errors_escape_submitted_html_in_every_field(
    client: TestClient, demo: DemoData, settings: Settings
) -> None:
    """Every POST route with the payload in every field at once; where the form comes back, in each field alone."""
    world = build_world(client, demo, settings)
    add_admin(settings)
    public = csrf_from(client.get("/").text)
    for path in ("/login", "/join", "/language"):
        _check(client, path, {"csrf_token": public, **dict.fromkeys(FIELDS, PAYLOAD)})
    for field in FIELDS:  # the join form validates one field at a time
        _check(client, "/join", {"csrf_token": public, field: PAYLOAD})
    csrf = login(client, ADMIN, PASSWORD)
    for path in POST_ROUTES:
        if path in ("/logout", "/leave", "/login", "/join", "/api/join", "/language"):
            continue
        target = world.fill(path)
        for field in _check(client, target, {"csrf_token": csrf, **dict.fromkeys(FIELDS, PAYLOAD)}):
            _check(client, target, {"csrf_token": csrf, field: PAYLOAD})


def test_form_error_shows_the_submitted_value_as_text(client: TestClient, demo: DemoData, settings: Settings) -> None:
    """The class form quotes an unknown language code back: it must arrive escaped, not dropped."""
    add_admin(settings)
    csrf = login(client, ADMIN, PASSWORD)
    school = demo.school_ids[0]
    response = client.post(
        f"/schools/{school}/classes/new",
        data={"csrf_token": csrf, "name": "7B", "age_band": "13-15", "size": "20", "languages": PAYLOAD},
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert ESCAPED in response.text
    assert PAYLOAD not in response.text
