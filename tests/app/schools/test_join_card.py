"""The join card and the join address on the class page: full URL, code prefilled, QR drawn server-side as SVG."""

from __future__ import annotations

import re
from html import unescape

import pytest
from starlette.testclient import TestClient

from app.demo import DemoData
from app.schools.join_card import qr_svg
from app.settings import Settings
from tests.app.schools.steps import class_ids
from tests.support.staff_login import login

JOIN_LINK = "http://127.0.0.1:8000/join?code=RIVER9"


def test_class_page_shows_the_full_join_address_and_links_the_card(
    client: TestClient, demo: DemoData, settings: Settings
) -> None:
    login(client, "coordinator-gb", demo.logins["coordinator-gb"])
    gb, _ = class_ids(settings)
    page = client.get(f"/classes/{gb}").text
    assert f'href="{JOIN_LINK}"' in page
    assert ">http://127.0.0.1:8000/join</a>" in page
    assert f'href="/classes/{gb}/card"' in page
    assert "join at /join" not in page


def test_join_card_draws_the_join_link_as_inline_svg_with_the_code(
    client: TestClient, demo: DemoData, settings: Settings
) -> None:
    login(client, "coordinator-gb", demo.logins["coordinator-gb"])
    gb, _ = class_ids(settings)
    response = client.get(f"/classes/{gb}/card")
    assert response.status_code == 200
    svg = re.search(r"<svg.*?</svg>", response.text, re.S)
    assert svg is not None
    # The same symbol segno draws for the join link with the code: the QR opens /join with RIVER9 filled in.
    assert svg.group(0) == str(qr_svg(JOIN_LINK))
    assert re.search(r'<code class="join-code">RIVER9</code>', response.text)
    label = re.search(r'role="img" aria-label="([^"]+)"', response.text)
    assert label is not None
    assert JOIN_LINK in unescape(label.group(1))
    assert "<img" not in response.text
    assert "//" not in svg.group(0).replace("http://www.w3.org", "")


@pytest.mark.parametrize(
    ("username", "status"), [("coordinator-es", 403), ("facilitator", 403)], ids=["other-school", "facilitator"]
)
def test_join_card_only_for_the_class_school(
    client: TestClient, demo: DemoData, settings: Settings, username: str, status: int
) -> None:
    login(client, username, demo.logins[username])
    gb, _ = class_ids(settings)
    assert client.get(f"/classes/{gb}/card", follow_redirects=False).status_code == status


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("?code=RIVER9", 'value="RIVER9"'),
        ("?code=%22%3E%3Cscript%3E", 'value="&#34;&gt;&lt;script&gt;"'),
        ("", 'value=""'),
    ],
    ids=["prefilled", "escaped", "empty"],
)
def test_join_page_prefills_the_code_from_the_query(client: TestClient, query: str, shown: str) -> None:
    page = client.get(f"/join{query}").text
    field = re.search(r'<input id="code"[^>]*>', page)
    assert field is not None
    assert shown in field.group(0)
