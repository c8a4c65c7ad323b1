"""The join card as a teacher projects and prints it, the favicon, and right-to-left staff pages in Chromium."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, Response, expect

from tests.browser.conftest import SCREENSHOTS, Site
from tests.browser.pages import check_page, screenshot

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _coordinator(site: Site, new_context: Callable[..., BrowserContext], language: str, **options: object) -> Page:
    context = new_context(**options)
    context.add_cookies([{"name": "bw_lang", "value": language, "url": site.url}])
    page = context.new_page()
    page.goto(f"/login?next=/schools/{site.demo.school_ids[0]}")
    page.locator("#username").fill("coordinator-gb")
    page.locator("#password").fill(site.demo.logins["coordinator-gb"])
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(f"**/schools/{site.demo.school_ids[0]}")
    return page


def _class_page(page: Page) -> str:
    href = page.locator("a[href^='/classes/']").first.get_attribute("href")
    assert href is not None
    page.goto(href)
    return href


@pytest.mark.parametrize(
    ("language", "viewport"),
    [("en", DESKTOP), ("ar", DESKTOP), ("en", PHONE), ("ar", PHONE)],
    ids=["en-desktop", "ar-desktop", "en-phone", "ar-phone"],
)
def test_join_card_shows_qr_code_and_address_and_passes_axe(
    site: Site, new_context: Callable[..., BrowserContext], shot_name: str, language: str, viewport: dict[str, int]
) -> None:
    page = _coordinator(site, new_context, language, viewport=viewport)
    _class_page(page)
    join_link = page.locator("a.join-url")
    expect(join_link).to_have_text(re.compile(r"^https?://[^/]+/join$"))
    assert (join_link.get_attribute("href") or "").endswith("/join?code=RIVER9")
    page.locator("a[href$='/card']").click()
    page.wait_for_url("**/card")
    qr = page.locator(".join-card-qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None
    assert min(box["width"], box["height"]) >= 200, box  # scannable from a desk when projected or printed
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= viewport["width"]
    expect(page.locator(".join-card-qr")).to_have_attribute("aria-label", re.compile(r"/join\?code=RIVER9"))
    code = page.locator(".join-card-code")
    expect(code).to_have_text("RIVER9")
    assert float(code.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 40
    check_page(page, f"{shot_name}-card")


def test_join_card_prints_on_one_page_without_the_site_header(
    site: Site, new_context: Callable[..., BrowserContext], shot_name: str
) -> None:
    page = _coordinator(site, new_context, "en", viewport=DESKTOP)
    page.goto(f"{_class_page(page)}/card")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".no-print").first).to_be_hidden()
    expect(page.locator(".join-card-qr svg")).to_be_visible()
    expect(page.locator(".join-card-code")).to_be_visible()
    screenshot(page, f"{shot_name}-print")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf = page.pdf(format="A4", path=str(SCREENSHOTS / f"{shot_name}.pdf"))
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1


def test_join_link_opens_the_join_form_with_the_code_filled_in(
    site: Site, new_context: Callable[..., BrowserContext], shot_name: str
) -> None:
    page = new_context().new_page()
    page.goto("/join?code=RIVER9")
    expect(page.locator("#code")).to_have_value("RIVER9")
    page.locator("#name").fill("Ana")
    page.locator("form[action='/join'] button[type=submit]").click()
    expect(page.locator("#country")).to_be_attached()
    check_page(page, f"{shot_name}-join")


def test_no_page_asks_for_a_missing_file(site: Site, new_context: Callable[..., BrowserContext]) -> None:
    page = _coordinator(site, new_context, "en")
    missing: list[str] = []

    def note(response: Response) -> None:
        if response.status >= 400:
            missing.append(f"{response.status} {response.url}")

    page.on("response", note)
    href = _class_page(page)
    for path in ("/", "/join", f"{href}/card"):
        page.goto(path)
    icon = page.locator("link[rel=icon]")
    expect(icon).to_have_attribute("type", "image/svg+xml")
    linked = page.request.get(icon.get_attribute("href") or "")
    asked = page.request.get("/favicon.ico")  # what browsers and feed readers ask for without reading the page
    assert (linked.status, asked.status, asked.headers["content-type"]) == (200, 200, "image/svg+xml")
    assert asked.url.endswith("/static/favicon.svg")
    assert missing == []


@pytest.mark.parametrize(("language", "transform"), [("ar", "matrix(-1, 0, 0, 1, 0, 0)"), ("en", "none")], ids=str)
def test_back_arrow_points_the_reading_way_and_user_text_keeps_its_own_direction(
    site: Site, new_context: Callable[..., BrowserContext], shot_name: str, language: str, transform: str
) -> None:
    page = _coordinator(site, new_context, language)
    _class_page(page)
    arrow = page.locator("a.back .arrow")
    assert arrow.evaluate("e => getComputedStyle(e).transform") == transform
    # The English class name keeps left-to-right on the Arabic page (dir=auto): its full stop, digits and
    # brackets stay where the writer put them.
    heading = page.locator("h1[dir=auto]")
    expect(heading).to_have_text("Year 9 English")
    assert heading.evaluate("e => getComputedStyle(e).direction") == "ltr"
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    # Weekday named in the page's language; the times read 09:00-15:00 (not 15:00-09:00) in Arabic too.
    times = page.locator("dd li span[dir=ltr]").first
    expect(times).to_have_text("09:00-15:00")
    assert times.evaluate("e => getComputedStyle(e).direction") == "ltr"
    check_page(page, f"{shot_name}-class")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_notification_settings_save_and_pass_axe(
    site: Site, new_context: Callable[..., BrowserContext], shot_name: str, language: str
) -> None:
    page = _coordinator(site, new_context, language)
    page.locator("a[href='/notifications']").click()
    page.wait_for_url("**/notifications")
    page.locator("#email").fill("gb@school.example")
    page.locator("input[name=exchange_emails]").uncheck()
    page.locator("form[action='/notifications'] button[type=submit]").click()
    page.wait_for_url("**/notifications?saved=1")
    expect(page.locator("#email")).to_have_value("gb@school.example")
    expect(page.locator("input[name=exchange_emails]")).not_to_be_checked()
    check_page(page, f"{shot_name}-notifications")
