"""In a real browser: a banned student joins again under a new name; the console alerts and refuses them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Dialog, expect

from tests.browser.conftest import Site
from tests.browser.pages import check_page, join

pytestmark = pytest.mark.browser


def test_console_alerts_when_a_banned_browser_rejoins_and_refuses_it(
    site: Site, new_context: Callable[..., BrowserContext], shot_name: str
) -> None:
    laptop = new_context().new_page()  # Bea's browser: the device cookie lives in this context
    join(laptop, "RIVER9", "Bea")
    console = new_context().new_page()
    console.on("dialog", lambda dialog: dialog.accept())  # the confirmations for ban and refuse
    console.goto(f"/login?next=/facilitate/{site.demo.session_id}")
    console.get_by_label("Username").fill("facilitator")
    console.get_by_label("Password").fill(site.demo.logins["facilitator"])
    console.get_by_role("button", name="Log in").click()
    console.wait_for_url(f"**/facilitate/{site.demo.session_id}")
    # Act once the live view has drawn the rows: its first draw hides the actions that do not apply (the forms'
    # ``data-when``), which moves the menu's buttons; a click aimed before that move can land beside "Ban".
    expect(console.locator("#console-connection")).to_have_text("Live view connected.")
    bea_row = console.locator("tr", has_text="Bea · GB")
    bea_row.get_by_text("Act").click()
    with console.expect_navigation():  # the form posts and comes back to the console (slow on a busy CI machine)
        bea_row.get_by_role("button", name="Ban from session").click()
    expect(console.locator("tr", has_text="Bea · GB")).to_contain_text("banned")
    expect(console.locator("#console-connection")).to_have_text("Live view connected.")

    seen: list[Dialog] = []
    laptop.on("dialog", lambda dialog: seen.append(dialog))
    join(laptop, "RIVER9", "Bea Two")
    alert = console.locator("#device-alerts [role=alert]")
    expect(alert).to_have_count(1)
    expect(alert.locator(".device-new")).to_have_text("Bea Two · GB")
    expect(alert.locator(".device-banned")).to_have_text("Bea")
    check_page(console, f"{shot_name}-alert")
    expect(laptop.locator("body")).not_to_contain_text("banned")  # the student is not told they were recognised
    assert seen == []

    alert.get_by_role("button", name="Refuse").click()
    console.wait_for_url(f"**/facilitate/{site.demo.session_id}")
    expect(console.locator("tr", has_text="Bea Two · GB")).to_contain_text("banned")
    expect(laptop.locator("main")).to_contain_text("A facilitator removed you from this session.")
