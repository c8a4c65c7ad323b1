"""Pseudonyms and send-frame fields carry no contact details: names checked at join, frame fields restricted."""

from __future__ import annotations

import html
import re

import pytest
from starlette.testclient import TestClient

from app.i18n import gettext
from rooms.moderation.hooks.contact import contact_in_name
from tests.support.students import paired_pair, send, until

CONTACT_NAMES = [
    "0770 0900 414",
    "snap alice_smith07",
    "alice.smith gmail.com",
    "insta alice.smith",
    "alice at gmail",
    "zero seven seven oh oh nine",
    "discord.gg abc",
    "alice_smith07 on tiktok",
]
FINE_NAMES = ["Alice", "Jean-Luc", "A.J.", "Mr.Smith", "Ana 2010", "Lukas M.", "Snapdragon", "Line Dancer", "Chloé"]


@pytest.mark.parametrize("name", CONTACT_NAMES)
def test_contact_in_name_finds_contact_details(name: str) -> None:
    assert contact_in_name(name) is not None


@pytest.mark.parametrize("name", FINE_NAMES)
def test_contact_in_name_passes_ordinary_nicknames(name: str) -> None:
    assert contact_in_name(name) is None


@pytest.mark.parametrize("name", ["snap alice_smith07", "alice.smith gmail.com"])
def test_join_api_refuses_a_contact_name(client: TestClient, demo: object, name: str) -> None:
    response = client.post("/api/join", json={"code": "RIVER9", "name": name})
    assert response.status_code == 400
    assert response.json()["error"] == "bad_name"


def test_join_form_explains_a_contact_name_in_the_students_language(client: TestClient, demo: object) -> None:
    home = client.get("/join").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', home)
    assert token is not None
    client.post("/language", data={"csrf_token": token.group(1), "lang": "es", "next": "/join"})
    page = client.post("/join", data={"csrf_token": token.group(1), "code": "RIVER9", "name": "insta alice.smith"})
    expected = gettext("es", "Please don't use contact details in your name: pick a nickname.")
    assert expected != "Please don't use contact details in your name: pick a nickname."
    assert expected in html.unescape(page.text)


@pytest.mark.parametrize(
    ("extra", "client_id"),
    [
        ({}, "snap: alice_smith07"),
        ({}, "call 0612345678!"),
        ({}, "ana@gmail.com"),
        ({"lang": "snap alice"}, "ok-1"),
        ({"lang": "zz"}, "ok-2"),
        ({"lang": "EN"}, "ok-3"),
    ],
    ids=["client-id-handle", "client-id-phone", "client-id-email", "lang-text", "lang-unknown", "lang-upper"],
)
def test_send_frame_fields_are_restricted(
    client: TestClient, demo: object, extra: dict[str, str], client_id: str
) -> None:
    with paired_pair(client) as (a, b, _room, _alice, _bruno):
        send(a, client_id, "hello", **extra)
        assert until(a, "error")["code"] == "bad_frame"
        send(a, "fine-1", "hello again", lang="en")
        assert until(a, "ack")["state"] == "visible"
        delivered = until(b, "message")
        assert delivered["text"] == "hello again"
        assert delivered["lang"] == "en"
