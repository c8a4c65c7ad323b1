"""Student pages on a phone-sized screen: nothing scrolls sideways and the composer stays reachable."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import Site
from tests.browser.pages import check_page, join, send, wait_paired

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width}px wide on a 390px screen"


@pytest.mark.parametrize("language", ["en", "ar"], ids=["ltr", "rtl"])
def test_student_pages_fit_a_phone_and_composer_is_reachable(
    site: Site, new_context: Callable[..., BrowserContext], shot_name: str, language: str
) -> None:
    phone = new_context(**PHONE)
    phone.add_cookies([{"name": "bw_lang", "value": language, "url": site.url}])
    alice = phone.new_page()
    bruno = new_context().new_page()
    for path in ("/", "/join"):
        alice.goto(path)
        _no_sideways_scroll(alice)
        check_page(alice, f"{shot_name}{path.replace('/', '-')}")
    expect(alice.locator("html")).to_have_attribute("lang", language)
    alice.locator("#code").fill("RIVER9")
    alice.locator("#name").fill("Alice-with-a-rather-long-name")
    alice.locator("form[action='/join'] button[type=submit]").click()
    expect(alice.locator("input[name=step][value='2']")).to_be_attached()  # measured mid-navigation, it had no <html>
    _no_sideways_scroll(alice)
    alice.locator("form[action='/join'] button[type=submit]").click()
    join(bruno, "CERVA3", "Bruno")
    wait_paired(alice)
    send(bruno, "x" * 300)
    send(bruno, "Supercalifragilisticexpialidocious" * 6)
    expect(alice.locator(".msg.peer")).to_have_count(2)
    _no_sideways_scroll(alice)
    composer = alice.locator("#message-input")
    composer.scroll_into_view_if_needed()
    expect(composer).to_be_in_viewport()
    box = composer.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 390
    composer.tap()
    composer.fill("from my phone")
    alice.locator("#send-button").tap()
    expect(bruno.locator(".msg.peer .text")).to_have_text(["from my phone"])
    check_page(alice, f"{shot_name}-chat")
