"""Keyboard only: a student can join and send a message with Tab, typing and Enter, seeing where focus is."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import Site
from tests.browser.pages import join, wait_paired

pytestmark = pytest.mark.browser


def _tab_to(page: Page, selector: str, limit: int = 25) -> None:
    """Press Tab until the element matching `selector` has focus, as a keyboard user would."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{selector} is not reachable with Tab within {limit} presses")


def test_keyboard_only_join_and_send(site: Site, new_context: Callable[..., BrowserContext]) -> None:
    alice = new_context().new_page()
    bruno = new_context().new_page()
    alice.goto("/")
    alice.keyboard.press("Tab")
    expect(alice.locator(".skip-link")).to_be_focused()
    _tab_to(alice, "a[href='/join']")
    alice.keyboard.press("Enter")
    alice.wait_for_url("**/join")
    _tab_to(alice, "#code")
    alice.keyboard.type("RIVER9")
    alice.keyboard.press("Tab")
    expect(alice.locator("#name")).to_be_focused()
    alice.keyboard.type("Alice")
    alice.keyboard.press("Enter")
    expect(alice.locator("#country")).to_be_attached()
    _tab_to(alice, "button[type=submit]:text-is('Join')")
    alice.keyboard.press("Enter")
    alice.wait_for_url("**/chat")
    join(bruno, "CERVA3", "Bruno")
    wait_paired(alice)
    _tab_to(alice, "#message-input")
    outline = alice.locator("#message-input").evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none", "focused composer shows no focus outline"
    alice.keyboard.type("typed with the keyboard")
    alice.keyboard.press("Enter")
    expect(bruno.locator(".msg.peer .text")).to_have_text(["typed with the keyboard"])
    expect(alice.locator("#message-input")).to_be_focused()


def test_keyboard_only_report_dialog_traps_focus_and_returns_it(
    site: Site, new_context: Callable[..., BrowserContext]
) -> None:
    alice = new_context().new_page()
    bruno = new_context().new_page()
    join(alice, "RIVER9", "Alice")
    join(bruno, "CERVA3", "Bruno")
    wait_paired(alice)
    wait_paired(bruno)
    bruno.locator("#message-input").fill("hello Alice")
    bruno.keyboard.press("Enter")
    report = alice.locator(".msg.peer button.report")
    expect(report).to_have_count(1)
    _tab_to(alice, ".msg.peer button.report")
    alice.keyboard.press("Enter")
    expect(alice.locator("#report-dialog")).to_be_visible()
    expect(alice.locator("#report-reason")).to_be_focused()
    alice.keyboard.press("Escape")
    expect(alice.locator("#report-dialog")).to_be_hidden()
    expect(report).to_be_focused()
    alice.keyboard.press("Enter")
    expect(alice.locator("#report-dialog")).to_be_visible()
    expect(alice.locator("#report-reason")).to_be_focused()
    alice.keyboard.press("ArrowDown")  # "They asked for or shared contact details"
    _tab_to(alice, "#report-submit", limit=3)
    alice.keyboard.press("Enter")
    expect(alice.locator("#report-dialog")).to_be_hidden()
    expect(alice.locator("#notice")).to_have_text("Thanks. A facilitator will look at it.")
    expect(report).to_be_focused()
