"""Site-wide page furniture: the favicon every browser asks for."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient


def test_favicon_ico_redirects_to_the_svg_icon(client: TestClient) -> None:
    response = client.get("/favicon.ico", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (301, "/static/favicon.svg")
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.startswith("<svg")


@pytest.mark.parametrize("path", ["/", "/join", "/login", "/no-such-page"], ids=["home", "join", "login", "404"])
def test_every_page_links_the_icon_that_exists(client: TestClient, path: str) -> None:
    page = client.get(path).text
    link = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert link is not None
    assert client.get(link.group(1)).status_code == 200
