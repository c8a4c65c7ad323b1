"""The interface in each language: the picker remembers the choice, Arabic is right-to-left, pages stay accessible."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import Site
from tests.browser.pages import check_page, wait_paired

pytestmark = pytest.mark.browser

# language, direction, the home heading, the chat page's Send button
LANGUAGES = [
    ("en", "ltr", "Meet classrooms across borders", "Send"),
    ("es", "ltr", "Conoce aulas de otros países", "Enviar"),
    ("fr", "ltr", "Rencontrez des classes par-delà les frontières", "Envoyer"),
    ("ar", "rtl", "تعرّف إلى فصول دراسية عبر الحدود", "أرسل"),
]


def _join_by_form(page: Page, code: str, name: str) -> None:
    """Join without relying on English labels: the same two steps, by field."""
    page.goto("/join")
    page.locator("#code").fill(code)
    page.locator("#name").fill(name)
    page.locator("form[action='/join'] button[type=submit]").click()
    expect(page.locator("#country")).to_be_attached()


@pytest.mark.parametrize(("language", "direction", "heading", "send"), LANGUAGES, ids=[lang[0] for lang in LANGUAGES])
def test_interface_language_home_join_and_chat(
    site: Site,
    new_context: Callable[..., BrowserContext],
    shot_name: str,
    language: str,
    direction: str,
    heading: str,
    send: str,
) -> None:
    page = new_context().new_page()
    page.goto("/")
    page.locator("#lang-select").select_option(language)
    page.locator(".lang-picker button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("html")).to_have_attribute("dir", direction)
    expect(page.locator("h1")).to_have_text(heading)
    check_page(page, f"{shot_name}-home")
    if direction == "rtl":
        brand = page.locator(".brand").bounding_box()
        picker = page.locator(".lang-picker").bounding_box()
        assert brand is not None
        assert picker is not None
        assert brand["x"] > picker["x"], "the brand should sit on the right in a right-to-left layout"

    missing = page.goto("/no-such-page")
    assert missing is not None
    assert missing.status == 404
    expect(page.locator("html")).to_have_attribute("lang", language)
    check_page(page, f"{shot_name}-not-found")

    _join_by_form(page, "RIVER9", "Alice")
    expect(page.locator("html")).to_have_attribute("lang", language)  # the cookie carried the choice
    check_page(page, f"{shot_name}-join")
    page.locator("form[action='/join'] button[type=submit]").click()
    page.wait_for_url("**/chat")
    partner = new_context().new_page()
    _join_by_form(partner, "CERVA3", "Bruno")
    partner.locator("form[action='/join'] button[type=submit]").click()
    wait_paired(page)
    partner.locator("#message-input").fill("hola")
    partner.locator("#send-button").click()
    expect(page.locator(".msg.peer .text")).to_have_text(["hola"])
    expect(page.locator("#send-button")).to_have_text(send)
    check_page(page, f"{shot_name}-chat")


def test_moderation_notice_is_in_the_students_language(
    site: Site, new_context: Callable[..., BrowserContext], shot_name: str
) -> None:
    spanish = new_context(locale="es-ES", extra_http_headers={"Accept-Language": "es-ES,es;q=0.9"}).new_page()
    _join_by_form(spanish, "CERVA3", "Bruno")
    spanish.locator("form[action='/join'] button[type=submit]").click()
    partner = new_context().new_page()
    _join_by_form(partner, "RIVER9", "Alice")
    partner.locator("form[action='/join'] button[type=submit]").click()
    wait_paired(spanish)
    spanish.locator("#message-input").fill("escríbeme a bruno@example.com")
    spanish.locator("#send-button").click()
    expect(spanish.locator("#notice")).to_have_text(
        "Parece que tu mensaje contenía una dirección de correo electrónico. "
        "Para que todos estén seguros, aquí no se pueden compartir datos de contacto."
    )
    expect(spanish.locator(".msg.own.blocked .why")).to_have_count(1)
    check_page(spanish, f"{shot_name}-blocked")
    expect(partner.locator(".msg.peer")).to_have_count(0)


def test_join_error_is_announced_in_the_students_language(
    site: Site, new_context: Callable[..., BrowserContext], shot_name: str
) -> None:
    page = new_context(extra_http_headers={"Accept-Language": "fr-FR,fr;q=0.9"}).new_page()
    page.goto("/join")
    page.locator("#code").fill("NOPE99")
    page.locator("#name").fill("Chloé")
    page.locator("form[action='/join'] button[type=submit]").click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Nous ne connaissons pas ce code de classe. Vérifiez-le avec votre enseignant.")
    expect(page.locator("#name")).to_have_value("Chloé")  # nothing typed is lost
    check_page(page, f"{shot_name}-error")
