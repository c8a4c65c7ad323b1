"""Translations in the browser: tiny offline Argos models on a real server, the show/hide switch, a missing pack."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.browser.conftest import Site, start_site
from tests.browser.pages import check_page, join, send, wait_paired
from translation.tinymodel import DEMO_WORDS, build_tiny_package

pytestmark = [pytest.mark.browser, pytest.mark.translation]


@pytest.fixture(scope="module")
def packages_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """en<->es word-swap models ("hello" <-> "hola"), built offline and installed the way operators install any."""
    from translation.packages import install_package

    built = tmp_path_factory.mktemp("tiny-models")
    directory = tmp_path_factory.mktemp("argos-packages")
    for pair in (("en", "es"), ("es", "en")):
        install_package(
            build_tiny_package(built / f"{pair[0]}_{pair[1]}.argosmodel", *pair, DEMO_WORDS[pair]), directory
        )
    return directory


@contextmanager
def serving(tmp_path: Path, template: Path, packages: Path) -> Iterator[Site]:
    env = {"BRIDGEWAY_TRANSLATION_BACKEND": "argos", "BRIDGEWAY_TRANSLATION_PACKAGES_DIR": str(packages)}
    running = start_site(tmp_path / "data", template, env)
    try:
        yield running
    finally:
        running.server.kill()


@pytest.fixture
def translating_site(tmp_path: Path, migrated_template: Path, packages_dir: Path) -> Iterator[Site]:
    with serving(tmp_path, migrated_template, packages_dir) as site:
        yield site


@pytest.fixture
def contexts(browser: Browser, translating_site: Site) -> Iterator[Callable[[], BrowserContext]]:
    opened: list[BrowserContext] = []

    def open_context() -> BrowserContext:
        context = browser.new_context(base_url=translating_site.url)
        context.set_default_timeout(15_000)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()


def test_translation_shown_both_ways_and_switch_hides_and_remembers(
    contexts: Callable[[], BrowserContext], shot_name: str
) -> None:
    alice_context = contexts()
    alice, bruno = alice_context.new_page(), contexts().new_page()
    join(alice, "RIVER9", "Alice")
    join(bruno, "CERVA3", "Bruno")
    wait_paired(alice)
    wait_paired(bruno)
    send(alice, "hello friend")
    expect(bruno.locator(".msg.peer .text")).to_have_text(["hello friend"])
    expect(bruno.locator(".msg.peer .translation .tr-text")).to_have_text(["hola amigo"])
    expect(bruno.locator(".msg.peer .tr-label")).to_have_text(["Translated from English to Spanish"])
    send(bruno, "hola escuela")
    expect(alice.locator(".msg.peer .translation .tr-text")).to_have_text(["hello school"])
    expect(alice.locator(".msg.peer .translation")).to_have_attribute("lang", "en")
    check_page(alice, f"{shot_name}-shown")

    switch = alice.get_by_label("Show translations")
    expect(switch).to_be_checked()
    switch.uncheck()
    expect(alice.locator(".msg.peer .translation")).to_be_hidden()
    expect(alice.locator(".msg.peer .text")).to_have_text(["hola escuela"])
    check_page(alice, f"{shot_name}-hidden")
    alice.reload()
    expect(alice.get_by_label("Show translations")).not_to_be_checked()
    alice.get_by_label("Show translations").check()
    expect(alice.locator(".msg.peer .translation .tr-text")).to_have_text(["hello school"])


@pytest.fixture
def one_way_site(tmp_path: Path, migrated_template: Path, packages_dir: Path) -> Iterator[Site]:
    """Only en->es installed: Bruno's Spanish reaches Alice in the original."""
    only = tmp_path / "only-en-es"
    shutil.copytree(packages_dir / "translate-en_es-tiny", only / "translate-en_es-tiny")
    with serving(tmp_path, migrated_template, only) as site:
        yield site


def test_missing_pack_is_said_once_to_the_student_and_shown_on_the_console(
    browser: Browser, one_way_site: Site, shot_name: str
) -> None:
    contexts = [browser.new_context(base_url=one_way_site.url) for _ in range(3)]
    try:
        for context in contexts:
            context.set_default_timeout(15_000)
        console, alice, bruno = (context.new_page() for context in contexts)
        console.goto(f"/login?next=/facilitate/{one_way_site.demo.session_id}")
        console.get_by_label("Username").fill("facilitator")
        console.get_by_label("Password").fill(one_way_site.demo.logins["facilitator"])
        console.get_by_role("button", name="Log in").click()
        console.wait_for_url(f"**/facilitate/{one_way_site.demo.session_id}")
        join(alice, "RIVER9", "Alice")
        join(bruno, "CERVA3", "Bruno")
        wait_paired(alice)
        wait_paired(bruno)
        for text in ("hola amigo", "hola escuela", "gracias"):
            send(bruno, text)
        expect(alice.locator(".msg.peer .text")).to_have_text(["hola amigo", "hola escuela", "gracias"])
        notice = alice.locator("#notice .note")
        expect(notice).to_have_text(
            ["This server cannot translate Spanish into English: messages in this room are shown in the original."]
        )
        expect(alice.locator(".msg.peer .translation")).to_have_count(0)  # nothing under each message
        check_page(alice, f"{shot_name}-student")
        console.reload()  # the room opened after the page loaded
        health = console.locator(".room-card .tr-health")
        expect(health).to_have_text("Translation: no language pack for Spanish → English.")
        check_page(console, f"{shot_name}-console")
    finally:
        for context in contexts:
            context.close()
