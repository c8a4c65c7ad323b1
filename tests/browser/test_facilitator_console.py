"""A facilitator in a real browser: sees reported and held messages arrive live, reviews them and acts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.browser.conftest import Site, start_site
from tests.browser.pages import check_page, join, log_in_facilitator, send, wait_paired
from translation.tinymodel import build_tiny_package

pytestmark = pytest.mark.browser


def test_facilitator_sees_report_live_and_mutes_the_student(
    site: Site, new_context: Callable[..., BrowserContext], shot_name: str
) -> None:
    console = new_context().new_page()
    console.goto("/login")
    check_page(console, f"{shot_name}-login")
    log_in_facilitator(console, site, f"/facilitate/{site.demo.session_id}")
    alice, bruno = new_context().new_page(), new_context().new_page()
    join(alice, "RIVER9", "Alice")
    join(bruno, "CERVA3", "Bruno")
    wait_paired(alice)
    wait_paired(bruno)
    send(alice, "give me your snapchat")
    expect(console.locator(".room-card .msg .text")).to_contain_text(["give me your snapchat"])
    expect(console.locator("#queue-count")).to_have_text("0")

    bruno.locator(".msg.peer").get_by_role("button", name="Report").click()
    bruno.locator("#report-dialog").get_by_label("What is wrong?").select_option("contact_details")
    bruno.locator("#report-dialog").get_by_role("button", name="Report").click()
    expect(console.locator("#queue-count")).to_have_text("1")
    expect(console.locator("#console-alert")).to_be_visible()
    check_page(console, f"{shot_name}-console")

    console.locator("#queue-link").click()
    item = console.locator(".queue-item")
    expect(item).to_have_count(1)
    expect(item.locator(".queue-text .text")).to_have_text("give me your snapchat")
    expect(item).to_contain_text("Reported by Bruno")
    check_page(console, f"{shot_name}-queue")
    item.get_by_text("Act on Alice").click()
    item.get_by_label("Mute for").select_option("5")
    item.get_by_role("button", name="Mute", exact=True).click()
    expect(alice.locator("#notice")).to_contain_text("A facilitator has muted you")
    expect(alice.locator("#message-input")).to_be_disabled()  # no "Not sent" after the fact: the box says why
    expect(alice.locator("#composer-reason")).to_contain_text("You are muted. You can write again in 4:")
    check_page(alice, f"{shot_name}-muted-student")
    bruno.wait_for_timeout(300)
    expect(bruno.locator(".msg.peer .text")).to_have_text(["give me your snapchat"])


@pytest.fixture
def translating_site(tmp_path: Path, migrated_template: Path) -> Iterator[Site]:
    """A server whose en->es model turns "silly" into a Spanish insult: the original passes, its translation not."""
    from translation.packages import install_package

    packages = tmp_path / "argos-packages"
    model = build_tiny_package(tmp_path / "en_es.argosmodel", "en", "es", {"silly": "gilipollas", "hello": "hola"})
    install_package(model, packages)
    env = {"BRIDGEWAY_TRANSLATION_BACKEND": "argos", "BRIDGEWAY_TRANSLATION_PACKAGES_DIR": str(packages)}
    running = start_site(tmp_path / "data", migrated_template, env)
    try:
        yield running
    finally:
        running.server.kill()


@pytest.mark.translation
def test_facilitator_sees_held_message_live_and_deletes_it(
    browser: Browser, translating_site: Site, shot_name: str
) -> None:
    contexts = [browser.new_context(base_url=translating_site.url) for _ in range(3)]
    try:
        console, alice, bruno = (context.new_page() for context in contexts)
        log_in_facilitator(console, translating_site, f"/facilitate/{translating_site.demo.session_id}")
        join(alice, "RIVER9", "Alice")
        join(bruno, "CERVA3", "Bruno")
        wait_paired(alice)
        wait_paired(bruno)
        send(alice, "hello you are silly")
        # The server loads the translation model for this first message: on a loaded machine that took over the
        # 5 s an expectation waits by default (as test_translation_switch allows 15 s for its first translations).
        expect(console.locator("#console-alert")).to_have_text(
            "A message was held for review in room 1.", timeout=15_000
        )
        expect(console.locator("#queue-count")).to_have_text("1")
        # The sender's copy is taken back; the partner never received it (translations are moderated first).
        expect(alice.locator(".msg.own.withdrawn .text")).to_have_text(["This message was removed by moderation."])
        send(alice, "hello again")
        expect(bruno.locator(".msg.peer .text")).to_have_text(["hello again"])
        check_page(console, f"{shot_name}-console")

        console.goto(f"/facilitate/{translating_site.demo.session_id}/queue")
        item = console.locator(".queue-item")
        expect(item).to_have_count(1)
        expect(item.locator("h2 .badge")).to_have_text("Held")
        expect(item.locator(".queue-text .text")).to_have_text("hello you are silly")
        check_page(console, f"{shot_name}-queue")
        item.get_by_role("button", name="Delete for everyone").click()
        expect(console.locator(".queue-item")).to_have_count(0)
        expect(console.get_by_text("Nothing waiting.")).to_be_visible()
    finally:
        for context in contexts:
            context.close()
