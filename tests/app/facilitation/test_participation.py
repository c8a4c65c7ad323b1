"""Live participation figures on the console: talk balance, silent students, countries."""

from __future__ import annotations

from starlette.testclient import TestClient

from app.demo import DemoData
from tests.support.students import paired_pair, send, until


def test_stats_show_talk_balance_silence_and_countries(client: TestClient, csrf: str, demo: DemoData) -> None:
    with paired_pair(client) as (a, b, room, _alice, _bruno):
        send(a, "s1", "one two three")
        until(a, "ack")
        send(a, "s2", "four five six seven")
        until(a, "ack")
        until(b, "message")
        stats = client.get(f"/facilitate/{demo.session_id}/stats.json").json()
    (room_stats,) = stats["rooms"]
    by_name = {m["name"]: m for m in room_stats["members"]}
    assert room_stats["id"] == room
    assert (by_name["Alice"]["messages"], by_name["Alice"]["words"], by_name["Alice"]["share"]) == (2, 7, 1.0)
    assert by_name["Bruno"]["silent"] is True
    assert stats["silent"] == ["Bruno"]
    countries = {c["country"]: c for c in stats["countries"]}
    assert (countries["GB"]["words"], countries["ES"]["silent"]) == (7, 1)
    assert countries["GB"]["translated"] == 2  # English messages to a Spanish reader
