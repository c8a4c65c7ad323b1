"""A student whose partner leaves is told, returned to the lobby after a grace period and paired again."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.support.students import hello, join, send, until


def test_partner_left_then_repaired_with_someone_new(client: TestClient, demo: object) -> None:
    alice, bruno, carla = (
        join(client, "RIVER9", "Alice"),
        join(client, "CERVA3", "Bruno"),
        join(client, "CERVA3", "Carla"),
    )
    with client.websocket_connect("/ws") as a:
        hello(a, alice["token"])
        with client.websocket_connect("/ws") as b:
            hello(b, bruno["token"])
            first_room = until(a, "paired")["room"]
            assert {m["name"] for m in first_room["members"]} == {"Alice", "Bruno"}
        assert until(a, "presence")["state"] == "reconnecting"
        left = until(a, "presence")
        assert left["state"] == "left"
        assert left["participant"] == bruno["participant"]["id"]
        assert until(a, "event")["event"] == "partner_left"
        assert until(a, "event")["event"] == "repairing"
        with client.websocket_connect("/ws") as c:
            hello(c, carla["token"])
            second_room = until(a, "paired")["room"]
            assert second_room["id"] != first_room["id"]
            assert {m["name"] for m in second_room["members"]} == {"Alice", "Carla"}


def test_reconnect_within_grace_keeps_the_room(client: TestClient, demo: object) -> None:
    alice, bruno = join(client, "RIVER9", "Alice"), join(client, "CERVA3", "Bruno")
    with client.websocket_connect("/ws") as a:
        hello(a, alice["token"])
        with client.websocket_connect("/ws") as b:
            hello(b, bruno["token"])
            room = until(a, "paired")["room"]
        with client.websocket_connect("/ws") as b2:
            welcome = hello(b2, bruno["token"])
            assert welcome["status"] == "paired"
            assert welcome["room"]["id"] == room["id"]
            states = []
            while not states or states[-1] != "joined":
                states.append(until(a, "presence")["state"])
            assert "left" not in states  # "reconnecting" may or may not be seen, depending on timing
            send(b2, "back", "I am back")
            assert until(a, "message")["text"] == "I am back"
