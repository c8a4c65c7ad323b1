"""Staff pages in the reader's language: form errors with values, dates and weekdays, user text isolated, RTL arrows."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from starlette.testclient import TestClient

from app.demo import DemoData
from app.settings import Settings
from tests.app.schools.steps import CLASS_FORM, class_ids, post
from tests.support.staff_login import login


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Age band '3-4': ages from 5 to 99, youngest first."),
        ("es", "Franja de edad '3-4': edades de 5 a 99, de menor a mayor."),
        ("fr", "Tranche d'âge '3-4' : âges de 5 à 99, le plus jeune d'abord."),
        ("ar", "الفئة العمرية '3-4': الأعمار من 5 إلى 99، الأصغر أولًا."),
    ],
    ids=["en", "es", "fr", "ar"],
)
def test_form_error_with_values_is_shown_in_the_interface_language(
    client: TestClient, demo: DemoData, settings: Settings, language: str, expected: str
) -> None:
    csrf = login(client, "coordinator-gb", demo.logins["coordinator-gb"])
    client.cookies.set("bw_lang", language)
    gb, _ = class_ids(settings)
    response = post(client, f"/classes/{gb}/edit", csrf, CLASS_FORM | {"age_band": "3-4"})
    assert response.status_code == 400
    assert str(escape(expected)) in response.text  # the whole message is text: its quotes are escaped too


def test_form_error_escapes_what_the_coordinator_typed(client: TestClient, demo: DemoData, settings: Settings) -> None:
    csrf = login(client, "coordinator-gb", demo.logins["coordinator-gb"])
    gb, _ = class_ids(settings)
    typed = "<b>Mon 100%</b>"
    response = post(client, f"/classes/{gb}/edit", csrf, CLASS_FORM | {"availability": typed})
    assert response.status_code == 400
    assert "&lt;b&gt;Mon 100%&lt;/b&gt;" in response.text
    assert "<b>Mon" not in response.text


@pytest.mark.parametrize(
    ("language", "weekday", "valid_until"),
    [
        ("en", "Mon", r"Valid until (Mon|Tue|Wed|Thu|Fri|Sat|Sun), "),
        ("fr", "lun.", r"Valable jusqu(?:'|&#39;)au (lun|mar|mer|jeu|ven|sam|dim)\. \d+ "),
        ("ar", "الاثنين", r"صالح حتى (الاثنين|الثلاثاء|الأربعاء|الخميس|الجمعة|السبت|الأحد)، "),
    ],
    ids=["en", "fr", "ar"],
)
def test_weekdays_and_dates_follow_the_interface_language(
    client: TestClient, demo: DemoData, settings: Settings, language: str, weekday: str, valid_until: str
) -> None:
    csrf = login(client, "coordinator-gb", demo.logins["coordinator-gb"])
    gb, _ = class_ids(settings)
    assert post(client, f"/classes/{gb}/edit", csrf, CLASS_FORM).status_code == 303
    client.cookies.set("bw_lang", language)
    page = client.get(f"/classes/{gb}").text
    windows = re.findall(r'<li>([^<]*) <span dir="ltr">(\d\d:\d\d-\d\d:\d\d)</span></li>', page)
    assert windows[0] == (weekday, "10:00-12:00")
    if language != "en":
        assert "<li>Mon " not in page
    # The code's expiry: weekday and month named by Babel, never strftime's English "2026-12-30 14:00".
    assert re.search(valid_until, page), page[page.find("join-url") :][:600]
    assert not re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", page)


@pytest.mark.parametrize("path", ["/classes/{gb}", "/classes/{gb}/partners", "/classes/{gb}/edit"], ids=str)
def test_back_links_carry_a_mirrored_arrow_and_user_text_is_isolated(
    client: TestClient, demo: DemoData, settings: Settings, path: str
) -> None:
    login(client, "coordinator-gb", demo.logins["coordinator-gb"])
    client.cookies.set("bw_lang", "ar")
    gb, _ = class_ids(settings)
    page = client.get(path.format(gb=gb)).text
    assert '<html lang="ar" dir="rtl">' in page
    back = re.search(
        r'<a class="back" href="[^"]+"><span class="arrow" aria-hidden="true">←</span> <span dir="auto">', page
    )
    assert back is not None
    assert "← " not in page.replace('aria-hidden="true">←</span> ', "")


def test_class_and_exchange_pages_mark_every_user_written_text_dir_auto(
    client: TestClient, demo: DemoData, settings: Settings
) -> None:
    login(client, "coordinator-gb", demo.logins["coordinator-gb"])
    gb, _ = class_ids(settings)
    page = client.get(f"/classes/{gb}").text
    assert re.search(r'<h1 dir="auto">[^<]+</h1>', page)
    exchange = re.search(r'<a href="(/exchanges/\d+)" dir="auto">', page)
    assert exchange is not None
    exchange_page = client.get(exchange.group(1)).text
    assert re.search(r'<h1><span dir="auto">[^<]+</span>', exchange_page)
    assert re.search(r'<strong dir="auto">[^<]+</strong>, <bdi>[^<]+</bdi>', exchange_page)
