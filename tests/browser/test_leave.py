"""Leaving is explicit: the browser asks first, the partner is told at once by name and keeps the conversation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Dialog, expect

from tests.browser.conftest import Site
from tests.browser.pages import join, send, wait_paired

pytestmark = pytest.mark.browser


def test_leave_asks_to_confirm_then_tells_the_partner_and_keeps_their_history(
    site: Site, new_context: Callable[..., BrowserContext]
) -> None:
    alice, bea = new_context().new_page(), new_context().new_page()
    join(alice, "RIVER9", "Alice")
    join(bea, "CERVA3", "Bea")
    wait_paired(alice)
    wait_paired(bea)
    send(alice, "Hello Bea")
    expect(bea.locator(".msg.peer .text")).to_have_text(["Hello Bea"])
    asked: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    bea.once("dialog", dismiss)
    bea.get_by_role("button", name="Leave the exchange").click()
    expect(bea.locator("#message-input")).to_be_enabled()  # changed her mind: still in the room
    assert len(asked) == 1
    assert "Leave the exchange?" in asked[0]
    bea.once("dialog", lambda dialog: dialog.accept())
    bea.get_by_role("button", name="Leave the exchange").click()
    bea.wait_for_url(f"{site.url}/")
    expect(alice.locator("#notice")).to_contain_text("Bea left")  # at once, not "reconnecting…"; it stays shown
    expect(alice.locator("#message-input")).to_be_disabled()
    expect(alice.locator(".msg.own .text")).to_have_text(["Hello Bea"])  # the conversation stays on screen
