"""Helpers shared by the browser tests: check a page (screenshot + axe), join as a student, wait for the chat."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, Site

_AXE = Axe()
BLOCKING_IMPACTS = frozenset({"serious", "critical"})


def screenshot(page: Page, name: str) -> None:
    """Save a full-page PNG under test-results/screenshots/ so people can look at what the tests saw."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA rules)."""
    options = {
        "resultTypes": ["violations"],
        "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]},
    }
    results = _AXE.run(page, options=options)
    violations: list[dict[str, Any]] = results.response["violations"]
    return [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}" for v in violations
    )


def check_page(page: Page, name: str) -> None:
    """Screenshot the page and fail on any serious or critical accessibility violation."""
    screenshot(page, name)
    violations = axe_violations(page)
    assert violations == [], describe(violations)


def join(page: Page, code: str, name: str, *, shot: str | None = None) -> None:
    """The two-step /join form: class code and name, then confirm country and languages; lands on /chat."""
    page.goto("/join")
    if shot:
        check_page(page, f"{shot}-join-step1")
    page.get_by_label("Class code").fill(code)
    page.get_by_label("Display name").fill(name)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("input[name=step][value='2']")).to_be_attached()
    if shot:
        check_page(page, f"{shot}-join-step2")
    page.get_by_role("button", name="Join", exact=True).click()
    page.wait_for_url("**/chat")


def wait_paired(page: Page) -> None:
    """The composer becomes usable once the student is in a room with a partner."""
    expect(page.locator("#message-input")).to_be_enabled(timeout=15_000)
    expect(page.locator("#members li")).to_have_count(2)


def send(page: Page, text: str) -> None:
    page.locator("#message-input").fill(text)
    page.locator("#send-button").click()


def log_in_facilitator(page: Page, site: Site, target: str) -> None:
    """The demo facilitator logs in through the real form and lands on ``target``."""
    page.goto(f"/login?next={target}")
    page.get_by_label("Username").fill("facilitator")
    page.get_by_label("Password").fill(site.demo.logins["facilitator"])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{target}")
