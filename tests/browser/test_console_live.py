"""The facilitator console stays live: rooms opened after the page loaded get every control, students' status and
the participation figures change as things happen, never waiting for a reload (docs/facilitators.md)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, ViewportSize, expect

from tests.browser.conftest import Site, start_site
from tests.browser.pages import check_page, log_in_facilitator
from tests.browser.sockets import SocketStudent

pytestmark = pytest.mark.browser
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
NO_ROOM = "\u2013"  # the Room cell of a student in no room


def _console(site: Site) -> str:
    return f"/facilitate/{site.demo.session_id}"


def _live(page: Page) -> None:
    expect(page.locator("#console-connection")).to_have_text("Live view connected.")


def _row(page: Page, student: SocketStudent) -> Locator:
    return page.locator(f'#students tr[data-student="{student.id}"]')


def test_room_opened_after_load_gets_controls_and_figures_follow_every_message(
    site: Site, new_context: Callable[..., BrowserContext], shot_name: str
) -> None:
    context = new_context(viewport=DESKTOP)
    first, second = context.new_page(), context.new_page()
    log_in_facilitator(first, site, _console(site))
    second.goto(_console(site))
    for page in (first, second):
        _live(page)
        expect(page.locator("#no-rooms")).to_be_visible()
        expect(page.locator("#no-students")).to_be_visible()

    alice, bruno = SocketStudent(site, "RIVER9", "Alice"), SocketStudent(site, "CERVA3", "Bruno")
    room = alice.paired()
    bruno.paired()
    card = first.locator(f'.room-card[data-room="{room}"]')
    expect(card.locator("h3")).to_have_text(f"Room {room}")
    expect(card.locator(".room-members")).to_have_text("Alice · GB, Bruno · ES")
    expect(card.get_by_label("Slow mode")).to_be_visible()
    expect(card.get_by_role("button", name="Close room")).to_be_visible()
    expect(first.get_by_text("Reload the page")).to_have_count(0)
    expect(first.locator("#no-rooms")).to_be_hidden()
    expect(first.locator("#room-count")).to_have_text("1")
    rows = first.locator("#students tr[data-student]")
    expect(rows.locator(".student-name")).to_have_text(["Alice · GB", "Bruno · ES"])
    expect(rows.locator(".student-status")).to_have_text(["paired", "paired"])
    expect(rows.locator(".student-room")).to_have_text([str(room), str(room)])
    expect(first.locator("#move-who option")).to_have_text([f"Alice · GB (room {room})", f"Bruno · ES (room {room})"])
    expect(first.locator("#silent-names")).to_have_text("Alice, Bruno")

    alice.say("hello there my friend")
    # Counted from the message frame itself, long before the figures are re-read (every 15 s).
    expect(first.locator("#silent-names")).to_have_text("Bruno", timeout=3000)
    alice_stats = first.locator("#room-stats tbody tr").filter(has_text="Alice")
    expect(alice_stats.locator("td")).to_have_text([str(room), "Alice · GB", "1", "4", "100%"], timeout=3000)
    expect(first.locator("#country-stats tbody tr").filter(has_text="ES").locator("td").nth(5)).to_have_text("1")

    # The other console's row for Alice was drawn by the script: its actions work. The first console sees the mute.
    row = _row(second, alice)
    row.get_by_text("Act").click()
    row.get_by_label("Mute for").select_option("5")
    row.get_by_role("button", name="Mute", exact=True).click()
    alice.event("muted")
    expect(_row(first, alice).locator(".student-status")).to_contain_text("paired · muted until ")
    expect(_row(first, alice).locator('form[action$="/unmute"]')).not_to_have_attribute("hidden", "")

    # The card drawn by the script works like one drawn by the server: slow mode reaches the room.
    card.get_by_label("Slow mode").select_option("30")
    card.get_by_role("button", name="Set").click()
    assert alice.event("slow_mode")["seconds"] == 30
    expect(first.locator(f"#slow-{room}")).to_have_value("30")
    _live(first)

    # Alice leaves: her row says so, Bruno waits again, the room closes and nobody in a room is silent.
    alice.ws.send(json.dumps({"type": "leave"}))
    bruno.event("partner_left")
    expect(_row(first, alice).locator(".student-status")).to_have_text("left")
    expect(_row(first, bruno).locator(".student-status")).to_have_text("waiting")
    expect(first.locator(f'.room-card[data-room="{room}"] h3')).to_have_text(f"Room {room} (closed)")
    expect(first.locator(f'.room-card[data-room="{room}"] .room-controls')).to_be_hidden()
    expect(first.locator("#room-count")).to_have_text("0")
    expect(first.locator("#silent-line")).to_be_hidden()
    expect(first.locator("#move-form")).to_be_hidden()
    check_page(first, f"{shot_name}-after-leave")
    alice.close()
    bruno.close()


@pytest.fixture
def patient_site(tmp_path: Path, migrated_template: Path) -> Iterator[Site]:
    """A lone student waits for another country (no room of 3 within the test); a dropped one is gone after 2 s."""
    env = {
        "BRIDGEWAY_CROSS_COUNTRY_WAIT_SECONDS": "120",
        "BRIDGEWAY_RECONNECT_GRACE_SECONDS": "2",
    }
    running = start_site(tmp_path / "data", migrated_template, env)
    try:
        yield running
    finally:
        running.server.kill()


def test_moves_and_dropped_students_show_live_with_screenshots(
    browser: Browser, patient_site: Site, shot_name: str
) -> None:
    site = patient_site
    context = browser.new_context(base_url=site.url, viewport=DESKTOP)
    context.set_default_timeout(10_000)
    try:
        watch, actor = context.new_page(), context.new_page()
        log_in_facilitator(watch, site, _console(site))
        actor.goto(_console(site))
        _live(watch)
        _live(actor)
        a1, b1 = SocketStudent(site, "RIVER9", "Amelia"), SocketStudent(site, "CERVA3", "Bea")
        first_room = a1.paired()
        b1.paired()
        a2, b2 = SocketStudent(site, "RIVER9", "Oliver"), SocketStudent(site, "CERVA3", "Lucía")
        second_room = a2.paired()
        b2.paired()
        a2.say("Hello! What is your town like?")
        b2.say("Hola, my town has a river and an old bridge")

        # The move form was filled by the script with students and rooms that came after the page loaded.
        actor.locator("#move-who").select_option(label=f"Amelia · GB (room {first_room})")
        actor.locator("#move-to").select_option(value=str(second_room))
        actor.get_by_role("button", name="Move", exact=True).click()
        assert a1.paired() == second_room
        b1.event("repairing")

        target = watch.locator(f'.room-card[data-room="{second_room}"]')
        expect(target.locator(".room-members")).to_have_text("Amelia · GB, Oliver · GB, Lucía · ES")
        expect(watch.locator(f'.room-card[data-room="{first_room}"] h3')).to_have_text(f"Room {first_room} (closed)")
        expect(_row(watch, a1).locator(".student-room")).to_have_text(str(second_room))
        expect(_row(watch, b1).locator(".student-status")).to_have_text("waiting")
        expect(_row(watch, b1).locator(".student-room")).to_have_text(NO_ROOM)
        expect(watch.locator("#silent-names")).to_have_text("Amelia")

        # A dropped socket: "reconnecting" at once, "left" once the grace is over; the room goes on.
        b2.ws.close()
        expect(_row(watch, b2).locator(".student-status")).to_have_text("reconnecting")
        expect(_row(watch, b2).locator(".student-status")).to_have_text("left")
        expect(target.locator(".room-members")).to_have_text("Amelia · GB, Oliver · GB")
        a2.say("Amelia, welcome to our room")

        for language in ("en", "ar"):
            context.add_cookies([{"name": "bw_lang", "value": language, "url": site.url}])
            for device, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                watch.set_viewport_size(viewport)
                watch.reload()
                expect(watch.locator("html")).to_have_attribute("lang", language)
                expect(watch.locator("#students tr[data-student]")).to_have_count(4)
                expect(watch.locator(f'.room-card[data-room="{second_room}"] .msg')).to_have_count(3)
                check_page(watch, f"{shot_name}-{language}-{device}")
        for student in (a1, b1, a2):
            student.close()
    finally:
        context.close()
