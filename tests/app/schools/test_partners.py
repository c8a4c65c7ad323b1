"""Partner finding and proposing: classes abroad ranked by common time on both clocks; bad proposals refused."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from app.demo import DemoData
from app.models import Exchange, SchoolClass
from app.settings import Settings
from tests.app.schools.steps import add_school, count, post
from tests.support.db import db


def test_partners_ranked_with_overlap_on_both_clocks_and_async_offer(
    client: TestClient, demo: DemoData, settings: Settings, gb_class: tuple[int, str]
) -> None:
    class_id, _ = gb_class
    new_york = add_school(settings, "Lincoln", "US", "America/New_York", ["en"], "Mon 09:00-11:00")
    tokyo = add_school(settings, "Sakura", "JP", "Asia/Tokyo", ["ja"], "Mon 08:00-09:00")
    add_school(settings, "Older", "FR", "Europe/Paris", ["fr"], "Mon 15:00-16:00", age_band="17-18")
    add_school(settings, "Same country", "GB", "Europe/London", ["en"], "Mon 14:00-16:00")
    page = client.get(f"/classes/{class_id}/partners?weeks=2").text
    with db(settings) as session:
        madrid = session.exec(select(SchoolClass.id).where(SchoolClass.join_code == "CERVA3")).one()
    order = [int(x) for x in re.findall(r'name="partner_class_id" value="(\d+)"', page)]
    # NY overlaps on Mondays; Madrid (09:00-15:00 CET ends at 14:00 London) and Tokyo never: Madrid shares Spanish.
    assert order == [new_york, madrid, tokyo]
    assert "Older class" not in page
    assert "Same country class" not in page
    assert "America/New_York" in page
    assert 'Mon <span dir="ltr">09:00-11:00</span>' in page
    assert "never overlap" in page
    assert "Propose an asynchronous exchange" in page


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"partner_class_id": "{same_country}"}, "another country"),
        ({"partner_class_id": "999999"}, "from the list"),
        ({"room_size": "5"}, "2 to 4"),
        ({"room_size": "4", "max_per_class": "1"}, "cannot hold 4"),
        ({"mode": "hybrid"}, "live or async"),
    ],
    ids=["same-country", "unknown-class", "room-too-big", "rules-impossible", "mode"],
)
def test_propose_rejects_bad_partners_and_rules(
    client: TestClient,
    demo: DemoData,
    settings: Settings,
    gb_class: tuple[int, str],
    form: dict[str, str],
    message: str,
) -> None:
    class_id, csrf = gb_class
    same_country = add_school(settings, "Leeds", "GB", "Europe/London", ["en"], "Mon 14:00-16:00")
    partner = add_school(settings, "Lincoln", "US", "America/New_York", ["en"], "Mon 09:00-11:00")
    fields = {"partner_class_id": str(partner), "mode": "live", "room_size": "2"} | form
    fields["partner_class_id"] = fields["partner_class_id"].format(same_country=same_country)
    before = count(settings, Exchange)
    response = post(client, f"/classes/{class_id}/propose", csrf, fields)
    assert response.status_code == 400
    assert message in response.text
    assert count(settings, Exchange) == before
