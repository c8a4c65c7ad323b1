"""HTML/JS injection in a real browser: hostile text from students and staff is shown as text and never runs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Dialog, Page, expect, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, Site, start_site
from tests.browser.pages import join, send, wait_paired

pytestmark = pytest.mark.browser

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
PAYLOADS = [SCRIPT, IMG]


@pytest.fixture
def site(tmp_path: Path, migrated_template: Path) -> Iterator[Site]:
    running = start_site(tmp_path / "data", migrated_template, env={"BRIDGEWAY_MODERATION_HOOKS": '["length"]'})
    try:
        yield running
    finally:
        running.server.kill()


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


def _staff(site: Site) -> tuple[httpx.Client, str]:
    """The session's facilitator, logged in over HTTP (the console's forms, without a browser)."""
    staff = httpx.Client(base_url=site.url, timeout=10)
    csrf_re = re.compile(r'name="csrf_token" value="([^"]+)"')
    login_page = staff.get("/login").text
    found = csrf_re.search(login_page)
    assert found is not None
    staff.post(
        "/login",
        data={"csrf_token": found.group(1), "username": "facilitator", "password": site.demo.logins["facilitator"]},
    )
    console = csrf_re.search(staff.get(f"/facilitate/{site.demo.session_id}").text)
    assert console is not None
    return staff, console.group(1)


def _not_pwned(page: Page, dialogs: list[str]) -> None:
    page.wait_for_timeout(300)  # give an injected handler its chance to fire
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("#log script, #log img, #session-topic *, #prompt *").count() == 0
    assert dialogs == []


def test_hostile_text_from_students_and_staff_is_inert(site: Site, browser: Browser) -> None:
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    pages = [browser.new_context(base_url=site.url).new_page() for _ in range(2)]
    for page in pages:
        page.set_default_timeout(10_000)
        page.on("dialog", record)
    alice, bruno = pages
    try:
        # A name is re-shown in the join form when it is refused: the attribute must stay an attribute.
        alice.goto("/join")
        alice.get_by_label("Class code").fill("RIVER9")
        alice.get_by_label("Display name").fill(IMG)
        alice.get_by_role("button", name="Continue").click()
        expect(alice.get_by_role("alert")).to_be_visible()
        expect(alice.get_by_label("Display name")).to_have_value(IMG)
        _not_pwned(alice, dialogs)

        staff, csrf = _staff(site)
        session = f"/facilitate/{site.demo.session_id}"
        saved = staff.post(
            f"{session}/prompts", data={"csrf_token": csrf, "topic": IMG, "prompts": "\n".join(PAYLOADS)}
        )
        assert saved.status_code < 400, saved.text
        join(alice, "RIVER9", "Alice")
        join(bruno, "CERVA3", "Bruno")
        wait_paired(alice)
        wait_paired(bruno)
        expect(alice.locator("#session-topic")).to_have_text(IMG)

        for text in PAYLOADS:
            send(bruno, text)
        expect(alice.locator(".msg.peer .text")).to_have_text(PAYLOADS)
        assert staff.post(f"{session}/prompt/next", data={"csrf_token": csrf}).status_code < 400
        expect(alice.locator("#prompt")).to_contain_text(SCRIPT)
        assert staff.post(f"{session}/announce", data={"csrf_token": csrf, "text": IMG}).status_code < 400
        expect(alice.locator(".msg.system.announcement .text")).to_have_text([IMG])
        for page in (alice, bruno):
            _not_pwned(page, dialogs)
        # Reloading renders the same history from the server: still inert.
        alice.reload()
        expect(alice.locator(".msg.system.announcement .text")).to_have_text([IMG])
        _not_pwned(alice, dialogs)
        staff.close()
    finally:
        for page in pages:
            page.context.close()
