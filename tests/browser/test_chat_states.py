"""The student chat in a lesson: on a phone the composer stays on screen, it says why it is off, notices end."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import BrowserContext, FloatRect, Page, expect

from tests.browser.conftest import Site, SitePool
from tests.browser.pages import check_page, join, send, wait_paired

pytestmark = pytest.mark.browser

# Different words each time: the repetition check would hold back a student who sends the same line again.
TOPICS = (
    "football music drawing chess swimming cooking reading dancing cycling theatre robots maths photos hiking".split()
)
TOPICS += ["the guitar"]
# A phone's screen fills with 30 messages sent in a few seconds, past the flood check's default (8 in 10 s, which
# has tests of its own, in tests/rooms): this module's sites allow more, rather than each test waiting 10 s.
# "A few seconds" (static/js/chat.js TTL.short is 4): a one-off notice is gone once the page's clock is this far on.
NOTICE_LIFETIME = "00:05"
CHATTY = {"BRIDGEWAY_MODERATION_FLOOD_MESSAGES": "100"}


@pytest.fixture
def site(sites: SitePool) -> Iterator[Site]:
    running = sites.take(CHATTY)
    try:
        yield running
    finally:
        running.server.kill()


def _phone(width: int, height: int) -> dict[str, object]:
    return {
        "viewport": {"width": width, "height": height},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    }


def _join_by_ids(page: Page, code: str, name: str) -> None:
    """The /join form by field ids, so it works whatever the interface language."""
    page.goto("/join")
    page.locator("#code").fill(code)
    page.locator("#name").fill(name)
    page.locator("form[action='/join'] button[type=submit]").click()
    expect(page.locator("input[name=step][value='2']")).to_be_attached()
    page.locator("form[action='/join'] button[type=submit]").click()
    page.wait_for_url("**/chat")


def _in_viewport(page: Page, selector: str) -> FloatRect:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    viewport = page.viewport_size
    assert viewport is not None
    assert box["x"] >= 0, (selector, box)
    assert box["x"] + box["width"] <= viewport["width"], (selector, box)
    assert box["y"] >= 0, (selector, box)
    assert box["y"] + box["height"] <= viewport["height"], (selector, box)
    return box


@pytest.mark.parametrize(
    ("language", "width", "height", "per_side"),
    [("en", 390, 844, 15), ("ar", 390, 844, 15), ("en", 320, 568, 7)],
    ids=["ltr-390", "rtl-390", "ltr-320"],
)
def test_phone_chat_keeps_composer_on_screen_after_30_messages(
    site: Site,
    new_context: Callable[..., BrowserContext],
    shot_name: str,
    language: str,
    width: int,
    height: int,
    per_side: int,
) -> None:
    phone = new_context(**_phone(width, height))
    phone.add_cookies([{"name": "bw_lang", "value": language, "url": site.url}])
    alice = phone.new_page()
    bruno = new_context().new_page()
    _join_by_ids(alice, "RIVER9", "Alice")
    join(bruno, "CERVA3", "Bruno")
    wait_paired(alice)
    wait_paired(bruno)
    for n in range(per_side):
        send(alice, f"{TOPICS[n]} is what I like, and you?")
        send(bruno, f"مرحبا! {TOPICS[-1 - n]} here, {n + 1} times a week")
    expect(alice.locator(".msg.own:not(.pending):not(.blocked)")).to_have_count(per_side)
    expect(alice.locator(".msg.peer")).to_have_count(per_side)

    # Only the message list scrolls: the page is exactly one screen, the list holds more than it shows.
    page_height = alice.evaluate("document.documentElement.scrollHeight")
    assert page_height <= height, f"the page scrolls: {page_height}px on a {height}px screen"
    assert alice.evaluate("document.documentElement.scrollWidth") <= width
    assert alice.evaluate(
        "(() => { const m = document.getElementById('messages'); return m.scrollHeight > m.clientHeight; })()"
    )
    _in_viewport(alice, "#message-input")
    send_box = _in_viewport(alice, "#send-button")
    assert send_box["height"] >= 44, send_box
    assert send_box["width"] >= 44, send_box
    _in_viewport(alice, ".msg.peer >> nth=-1")  # the newest message is scrolled into view
    check_page(alice, f"{shot_name}-30-messages")

    # The session panel folds away on a phone and opens with one tap.
    toggle = alice.locator("#panel-toggle")
    expect(alice.locator("#members")).to_be_hidden()
    toggle_box = toggle.bounding_box()
    assert toggle_box is not None
    assert toggle_box["height"] >= 44
    toggle.tap()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(alice.locator("#members li")).to_have_count(2)
    _in_viewport(alice, "#message-input")
    check_page(alice, f"{shot_name}-panel-open")
    alice.locator("#message-input").tap()
    alice.locator("#message-input").fill("still here")
    alice.locator("#send-button").tap()
    expect(bruno.locator(".msg.peer .text").last).to_have_text("still here")


def _log_in(page: Page, site: Site) -> None:
    target = f"/facilitate/{site.demo.session_id}"
    page.goto(f"/login?next={target}")
    page.get_by_label("Username").fill("facilitator")
    page.get_by_label("Password").fill(site.demo.logins["facilitator"])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{target}")


def test_composer_says_why_it_is_off_when_muted_or_paused_and_comes_back(
    site: Site, new_context: Callable[..., BrowserContext], shot_name: str
) -> None:
    alice, bruno = new_context().new_page(), new_context().new_page()
    alice.clock.install()  # the page's clock runs as usual; the test moves it on to where a notice is due to go
    join(alice, "RIVER9", "Alice")
    join(bruno, "CERVA3", "Bruno")
    wait_paired(alice)
    console = new_context().new_page()
    _log_in(console, site)
    box, reason = alice.locator("#message-input"), alice.locator("#composer-reason")
    expect(reason).to_be_hidden()

    row = console.locator("tr", has_text="Alice")
    row.get_by_text("Act").click()
    row.get_by_label("Mute for").select_option("2")
    row.get_by_role("button", name="Mute", exact=True).click()
    expect(box).to_be_disabled()
    expect(alice.locator("#send-button")).to_be_disabled()
    expect(reason).to_contain_text("You are muted. You can write again in 1:")  # a countdown, not a clock time
    expect(alice.locator("#notice .note")).to_contain_text(["A facilitator has muted you until"])
    check_page(alice, f"{shot_name}-muted")

    row = console.locator("tr", has_text="Alice")
    row.get_by_text("Act").click()
    row.get_by_role("button", name="Unmute").click()
    expect(box).to_be_enabled()
    expect(reason).to_be_hidden()
    expect(alice.locator("#notice")).to_have_text("You can write again.")
    alice.clock.fast_forward(NOTICE_LIFETIME)
    expect(alice.locator("#notice")).to_be_hidden()  # "you can write again" has said its piece and goes

    console.get_by_role("button", name="Pause").click()
    expect(box).to_be_disabled()
    expect(reason).to_have_text("The session is paused. You can write again when it continues.")
    expect(alice.locator("#notice")).to_contain_text("The facilitator paused the session.")
    check_page(alice, f"{shot_name}-paused")
    console.get_by_role("button", name="Resume").click()
    expect(box).to_be_enabled()
    expect(alice.locator("#notice")).to_have_text("The session continues.")
    alice.clock.fast_forward(NOTICE_LIFETIME)
    expect(alice.locator("#notice")).to_be_hidden()
    send(alice, "back again")
    expect(bruno.locator(".msg.peer .text")).to_have_text(["back again"])


def test_notices_explain_and_go_away(site: Site, new_context: Callable[..., BrowserContext], shot_name: str) -> None:
    alice, bruno = new_context().new_page(), new_context().new_page()
    bruno.clock.install()
    join(alice, "RIVER9", "Alice")
    join(bruno, "CERVA3", "Bruno")
    wait_paired(alice)
    wait_paired(bruno)
    send(alice, "HELLO BRUNO HOW ARE YOU TODAY")
    expect(alice.locator("#notice")).to_contain_text("written all in capital letters")
    expect(alice.locator("#notice")).to_contain_text("Your partner sees the changed message.")
    check_page(alice, f"{shot_name}-masked")

    bruno.locator(".msg.peer").get_by_role("button", name="Report").click()
    bruno.locator("#report-dialog").get_by_role("button", name="Report").click()
    expect(bruno.locator("#notice")).to_have_text("Thanks. A facilitator will look at it.")
    bruno.clock.fast_forward(NOTICE_LIFETIME)
    expect(bruno.locator("#notice")).to_be_hidden()  # a few seconds later, not forever

    bruno.once("dialog", lambda dialog: dialog.accept())
    bruno.get_by_role("button", name="Leave the exchange").click()
    bruno.wait_for_url(f"{site.url}/")
    expect(alice.locator("#notice .note[data-key=partner]")).to_contain_text("Bruno left")
    expect(alice.locator("#message-input")).to_be_disabled()
    expect(alice.locator("#composer-reason")).to_be_visible()
    check_page(alice, f"{shot_name}-partner-left")
