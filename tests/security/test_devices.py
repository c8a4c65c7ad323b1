"""A banned student's browser joining again under a new name: the console is alerted and can refuse it."""

from __future__ import annotations

import base64
import html
import json
import re
from typing import Any

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlmodel import select
from starlette.responses import Response
from starlette.testclient import TestClient
from starlette.testclient import WebSocketTestSession as WS

from app.demo import DemoData
from app.settings import Settings
from app.students.devices import DEVICE_COOKIE, DEVICE_MAX_AGE, Device, DeviceCookies
from rooms.models import Participant
from tests.support.db import audit_rows, db
from tests.support.staff_login import csrf_from, login
from tests.support.students import until

JSON = {"Accept": "application/json"}
SECRET = "test-secret-key-for-bridgeway-tests"  # tests/conftest.py make_settings


def _form_join(client: TestClient, name: str) -> httpx.Response:
    csrf = csrf_from(client.get("/join").text)
    data = {"csrf_token": csrf, "step": "2", "code": "RIVER9", "name": name, "country": "GB", "languages": "en"}
    return client.post("/join", data=data, follow_redirects=False)


def _api_join(client: TestClient, name: str) -> httpx.Response:
    return client.post("/api/join", json={"code": "RIVER9", "name": name})


FLOWS = {"form": _form_join, "api": _api_join}


def _pid(settings: Settings, name: str) -> int:
    with db(settings) as session:
        participant = session.exec(select(Participant).where(Participant.display_name == name)).one()
    assert participant.id is not None
    return participant.id


class Browsers:
    """Several browsers behind one TestClient (one running app): each has its own cookie jar."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.jars: dict[str, Any] = {}  # the TestClient's own Cookies class (httpx2 here, not httpx)
        self.current: str | None = None

    def use(self, who: str) -> TestClient:
        if self.current is not None:
            self.jars[self.current] = self.client.cookies
        self.current = who
        self.client.cookies = self.jars.get(who) or type(self.client.cookies)()
        return self.client


@pytest.mark.parametrize("flow", FLOWS, ids=list(FLOWS))
def test_device_banned_browser_rejoining_alerts_console_which_refuses_it(
    client: TestClient, settings: Settings, demo: DemoData, flow: str
) -> None:
    browsers = Browsers(client)
    join = FLOWS[flow]
    first = join(browsers.use("bea's laptop"), "Bea")
    assert first.status_code in (201, 303)
    set_cookie = next(h for h in first.headers.get_list("set-cookie") if h.startswith(DEVICE_COOKIE + "="))
    assert {"httponly", "samesite=lax", f"max-age={DEVICE_MAX_AGE}"} <= {
        p.strip().lower() for p in set_cookie.split(";")
    }
    staff = browsers.use("facilitator")
    csrf = login(staff, "facilitator", demo.logins["facilitator"])
    base = f"/facilitate/{demo.session_id}"
    with staff.websocket_connect(f"/ws/watch?session={demo.session_id}") as watch:
        assert watch.receive_json()["type"] == "watching"
        bea = _pid(settings, "Bea")
        banned = staff.post(f"{base}/participants/{bea}/ban", data={"csrf_token": csrf}, headers=JSON)
        assert banned.json() == {"ok": True, "banned": bea}

        fresh = join(browsers.use("carl's phone"), "Carl")  # an unknown browser: no alert
        again = join(browsers.use("bea's laptop"), "Bea Two")
        assert (again.status_code, again.headers.get("location")) == (fresh.status_code, fresh.headers.get("location"))
        if flow == "api":  # nothing in the answer says "recognised"
            assert sorted(again.json()) == sorted(fresh.json())
            assert sorted(again.json()["participant"]) == sorted(fresh.json()["participant"])
        alert = _next_alert(watch)
    bea_two = _pid(settings, "Bea Two")
    assert alert == {
        "type": "device_rejoin",
        "participant": {"id": bea_two, "name": "Bea Two", "country": "GB"},
        "banned_as": [{"id": bea, "name": "Bea"}],
    }

    page = browsers.use("facilitator").get(base).text  # the console's Refuse form, as the script fills it in
    template = page[page.index('id="device-rejoin-template"') :]
    reason = html.unescape(re.search(r'name="reason" value="([^"]+)"', template).group(1))  # type: ignore[union-attr]
    refused = staff.post(
        f"{base}/participants/{bea_two}/ban", data={"csrf_token": csrf, "reason": f"{reason} (Bea)"}, headers=JSON
    )
    assert refused.json() == {"ok": True, "banned": bea_two}
    with db(settings) as session:
        assert session.get(Participant, bea_two).banned  # type: ignore[union-attr]
    (row,) = [r for r in audit_rows(settings, "ban") if r.participant_id == bea_two]
    assert row.reason == "Refused: joined again from a browser banned in this session (Bea)"


def _next_alert(watch: WS) -> dict[str, object]:
    return until(watch, "device_rejoin")


FORGERIES = {
    "garbage": lambda ids: "garbage",
    "unsigned": lambda ids: base64.urlsafe_b64encode(json.dumps({"d": "x", "p": ids}).encode()).decode(),
    "other-secret": lambda ids: URLSafeTimedSerializer("another-secret", salt="bridgeway.device").dumps(
        {"d": "x", "p": ids}
    ),
    "our-secret-other-salt": lambda ids: URLSafeTimedSerializer(SECRET, salt="bridgeway.participant").dumps(
        {"d": "x", "p": ids}
    ),
}


@pytest.mark.parametrize("forgery", FORGERIES, ids=list(FORGERIES))
def test_device_cookie_not_signed_by_us_is_a_new_device(
    client: TestClient, settings: Settings, demo: DemoData, forgery: str
) -> None:
    browsers = Browsers(client)
    csrf = login(browsers.use("facilitator"), "facilitator", demo.logins["facilitator"])
    assert _api_join(browsers.use("dee's tablet"), "Dee").status_code == 201
    dee = _pid(settings, "Dee")
    staff = browsers.use("facilitator")
    staff.post(f"/facilitate/{demo.session_id}/participants/{dee}/ban", data={"csrf_token": csrf}, headers=JSON)
    with staff.websocket_connect(f"/ws/watch?session={demo.session_id}") as watch:
        assert watch.receive_json()["type"] == "watching"
        forger = browsers.use("forger")
        forger.cookies.set(
            DEVICE_COOKIE, FORGERIES[forgery]([dee]), domain="testserver.local"
        )  # claims to be Dee's browser
        assert _api_join(forger, "Eve").status_code == 201
        assert _payload(forger.cookies[DEVICE_COOKIE])["p"] == [_pid(settings, "Eve")]  # replaced by a new device
        assert _api_join(browsers.use("dee's tablet"), "Dee Again").status_code == 201
        alert = _next_alert(watch)  # the first alert is Dee's real browser, not the forger
    assert alert["participant"] == {"id": _pid(settings, "Dee Again"), "name": "Dee Again", "country": "GB"}


def _payload(cookie: str) -> dict[str, object]:
    """The signed cookie's content: itsdangerous signs it (base64 JSON), it does not hide it."""
    body = cookie.split(".")[0]
    data: dict[str, object] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return data


def test_device_cookie_holds_no_personal_data(client: TestClient, settings: Settings, demo: DemoData) -> None:
    for name in ("Frida", "Frida Two", "Frida Three"):
        assert _api_join(client, name).status_code == 201
    data = _payload(client.cookies[DEVICE_COOKIE])
    assert set(data) == {"d", "p"}
    assert re.fullmatch(r"[0-9a-f]{16}", str(data["d"]))
    assert data["p"] == [_pid(settings, n) for n in ("Frida", "Frida Two", "Frida Three")]
    raw = json.dumps(data)
    for personal in ("Frida", "RIVER9", "GB", "testclient"):
        assert personal not in raw


@pytest.mark.parametrize("secure", [False, True], ids=["http", "https"])
def test_device_cookie_header_is_what_set_cookie_writes(secure: bool) -> None:
    """The cookie's header is built once per app, not by ``SimpleCookie`` per join: same bytes as Starlette's."""
    cookies = DeviceCookies(SECRET, secure=secure)
    ours = Response()
    cookies.write(ours, Device("0123456789abcdef", (1, 22, 333)))
    name, header = ours.raw_headers[-1]
    value = header.decode("latin-1").split(";")[0].removeprefix(DEVICE_COOKIE + "=")
    starlettes = Response()
    starlettes.set_cookie(DEVICE_COOKIE, value, max_age=DEVICE_MAX_AGE, httponly=True, samesite="lax", secure=secure)
    assert (name, header) == starlettes.raw_headers[-1]
    assert URLSafeTimedSerializer(SECRET, salt="bridgeway.device").loads(value) == {
        "d": "0123456789abcdef",
        "p": [1, 22, 333],
    }
