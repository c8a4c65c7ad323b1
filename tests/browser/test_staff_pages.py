"""Every staff page reachable by links from the coordinator's and facilitator's start pages passes axe-core."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.browser.conftest import Site
from tests.browser.pages import axe_violations, describe, screenshot

pytestmark = pytest.mark.browser

SKIP = re.compile(r"\.(json|csv|ics)$|/export|/logout")
MAX_PAGES = 25


def _log_in(page: Page, site: Site, username: str, target: str) -> None:
    page.goto(f"/login?next={target}")
    page.locator("#username").fill(username)
    page.locator("#password").fill(site.demo.logins[username])
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(f"**{target}")


def _crawl(page: Page, start: str, prefixes: tuple[str, ...], language: str) -> dict[str, list[str]]:
    """Visit pages breadth-first by their links; return each page's serious/critical axe findings."""
    queue, seen = [start], {start}
    findings: dict[str, list[str]] = {}
    while queue and len(findings) < MAX_PAGES:
        path = queue.pop(0)
        response = page.goto(path)
        assert response is not None
        assert response.status == 200, f"{path} answered {response.status}"
        assert page.locator("html").get_attribute("lang") == language
        screenshot(page, f"staff-{language}" + re.sub(r"[^\w]+", "-", path))
        violations = axe_violations(page)
        findings[path] = [describe(violations)] if violations else []
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            link = urlsplit(href)
            if link.netloc or not link.path.startswith(prefixes) or SKIP.search(link.path):
                continue
            if link.path not in seen:
                seen.add(link.path)
                queue.append(link.path)
    return findings


@pytest.mark.parametrize(
    ("username", "start", "prefixes", "language"),
    [
        ("coordinator-gb", "/schools", ("/schools", "/classes", "/exchanges"), "en"),
        ("coordinator-es", "/schools", ("/schools", "/classes", "/exchanges"), "ar"),
        ("facilitator", "/facilitate", ("/facilitate",), "en"),
        ("facilitator", "/facilitate", ("/facilitate",), "fr"),
    ],
    ids=["coordinator-en", "coordinator-ar", "facilitator-en", "facilitator-fr"],
)
def test_staff_pages_have_no_serious_accessibility_violations(
    site: Site,
    new_context: Callable[..., BrowserContext],
    username: str,
    start: str,
    prefixes: tuple[str, ...],
    language: str,
) -> None:
    context = new_context()
    context.add_cookies([{"name": "bw_lang", "value": language, "url": site.url}])
    page = context.new_page()
    _log_in(page, site, username, start)
    findings = _crawl(page, start, prefixes, language)
    assert len(findings) > 1, f"only {list(findings)} reachable from {start}"
    failing = {path: found for path, found in findings.items() if found}
    assert failing == {}, "\n".join(f"{path}: {found[0]}" for path, found in failing.items())
