"""A real lesson: two classes of 30 (GB and ES), each behind one address, joining, chatting and misbehaving.

Against real uvicorn processes: one on SQLite, and two on PostgreSQL + Redis. While they chat, 10% close the tab
in the lobby (no close frame), 10% reload mid-conversation, 10% lose the network (for longer than the heartbeat
timeout and the reconnect grace together, so their room is given up), 5% leave, 5% arrive late, and a facilitator
removes one student and moves another. Timings (heartbeat, graces, waits) are shortened through settings; class
sizes are not. The lesson's timeline is compressed to 21 s (network lost for 8 s); BRIDGEWAY_TEST_LONG=1 plays
the full 52 s lesson with 30 s network drops.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, col, select

from app.db import make_engine
from app.demo import DemoData, seed_demo
from app.migrate import upgrade
from rooms.models import Participant, RoomMember
from tests.conftest import LONG, make_settings
from tests.sim.students import SimStudent
from tests.support.server import Server, start_together

CLASS_SIZE = 30
HEARTBEAT, HEARTBEAT_TIMEOUT = 0.5, 2.0
RECONNECT_GRACE, REPAIR_GRACE = 3.0, 1.0
CROSS_WAIT, SCHEDULER = 2.0, 0.5
# docs/protocol.md ("Pairing"): a waiting student is in a room within the cross-country wait + the scheduler
# interval + 1 s whenever someone else waits or an open room has a free seat.
PAIRED_WITHIN = CROSS_WAIT + SCHEDULER + 1.0
SETTLE = 2 * PAIRED_WITHIN
QUIET = 1.0  # after the checks first pass, time for a repeated or late frame to show up
ENV = {
    "BRIDGEWAY_HEARTBEAT_INTERVAL_SECONDS": str(HEARTBEAT),
    "BRIDGEWAY_HEARTBEAT_TIMEOUT_SECONDS": str(HEARTBEAT_TIMEOUT),
    "BRIDGEWAY_RECONNECT_GRACE_SECONDS": str(RECONNECT_GRACE),
    "BRIDGEWAY_REPAIR_GRACE_SECONDS": str(REPAIR_GRACE),
    "BRIDGEWAY_CROSS_COUNTRY_WAIT_SECONDS": str(CROSS_WAIT),
    "BRIDGEWAY_SCHEDULER_INTERVAL": str(SCHEDULER),
    "BRIDGEWAY_MESSAGE_RATE": "1000/second",
    "BRIDGEWAY_MODERATION_FLOOD_MESSAGES": "1000",
}


@dataclass(frozen=True, slots=True)
class Timeline:
    """When things happen in the lesson, in seconds from its start."""

    join_span: float  # everyone but the late ones joins within this
    late_at: float
    chat_until: float  # after the network drops are over
    drop_seconds: float  # how long a student's network is gone: longer than HEARTBEAT_TIMEOUT + RECONNECT_GRACE
    drop_between: tuple[float, float]  # when network drops start (not before 3 s after arriving)
    reload_by: float
    leave_between: tuple[float, float]
    remove_at: float  # the facilitator removes one student ...
    move_at: float  # ... and moves another

    def scaled(self, factor: float, drop_seconds: float) -> Timeline:
        """The same lesson played ``factor`` times as fast; pairing and grace timings (settings) stay as they are."""
        return Timeline(
            self.join_span * factor,
            self.late_at * factor,
            self.chat_until * factor,
            drop_seconds,
            (self.drop_between[0] * factor, self.drop_between[1] * factor),
            self.reload_by * factor,
            (self.leave_between[0] * factor, self.leave_between[1] * factor),
            self.remove_at * factor,
            self.move_at * factor,
        )


FULL = Timeline(20.0, 28.0, 52.0, 30.0, (6.0, 16.0), 40.0, (15.0, 35.0), 18.0, 22.0)
TIMELINE = FULL if LONG else FULL.scaled(0.4, drop_seconds=8.0)
assert TIMELINE.drop_seconds > HEARTBEAT_TIMEOUT + RECONNECT_GRACE + 2


@dataclass(frozen=True, slots=True)
class Roles:
    lobby_closers: list[SimStudent]
    reloaders: list[SimStudent]
    droppers: list[SimStudent]
    leavers: list[SimStudent]
    late: list[SimStudent]
    removed: SimStudent
    moved: SimStudent


def _seed(data_dir: Path, database_url: str | None = None) -> DemoData:
    config = make_settings(data_dir, **({"database_url": database_url} if database_url else {}))
    engine = make_engine(config.database_url)
    upgrade(engine)
    demo = seed_demo(engine, config)
    engine.dispose()
    return demo


def _students(servers: list[Server]) -> list[SimStudent]:
    people = [(f"GB{i:02d}", "GB", "RIVER9") for i in range(CLASS_SIZE)]
    people += [(f"ES{i:02d}", "ES", "CERVA3") for i in range(CLASS_SIZE)]
    return [SimStudent(n, c, code, servers[i % len(servers)].ws_url) for i, (n, c, code) in enumerate(people)]


def _roles(students: list[SimStudent], rng: random.Random) -> Roles:
    pool = students[:]
    rng.shuffle(pool)
    tenth, twentieth = len(students) // 10, len(students) // 20

    def take(n: int) -> list[SimStudent]:
        return [pool.pop() for _ in range(n)]

    return Roles(take(tenth), take(tenth), take(tenth), take(twentieth), take(twentieth), pool.pop(), pool.pop())


async def _staff(client: httpx.AsyncClient, password: str) -> str:
    page = (await client.get("/login")).text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"csrf_token": token, "username": "facilitator", "password": password, "next": "/"}
    assert (await client.post("/login", data=form)).status_code == 303
    return (await client.get("/")).text.split('name="csrf_token" value="')[1].split('"')[0]


async def _join(client: httpx.AsyncClient, student: SimStudent) -> None:
    response = await client.post("/api/join", json={"code": student.code, "name": student.name})
    assert response.status_code == 201, response.text
    student.token, student.pid = response.json()["token"], response.json()["participant"]["id"]
    await student.connect()


async def _life(student: SimStudent, roles: Roles, start: float, client: httpx.AsyncClient, rng: random.Random) -> None:
    """One student's lesson: arrive, misbehave as their role says, chat until the end."""
    arrive = TIMELINE.late_at if student in roles.late else rng.uniform(0, TIMELINE.join_span)
    await asyncio.sleep(max(0.0, start + arrive - time.monotonic()))
    await _join(client, student)
    if student in roles.lobby_closers:
        await asyncio.sleep(rng.uniform(0.0, 0.15))
        await student.close_tab()
        return
    plan: dict[float, str] = {}
    if student in roles.reloaders:
        plan[rng.uniform(arrive + 4, TIMELINE.reload_by)] = "reload"
    if student in roles.droppers:
        first, last = TIMELINE.drop_between
        plan[rng.uniform(max(arrive + 3, first), last)] = "drop"
    if student in roles.leavers:
        first, last = TIMELINE.leave_between
        plan[rng.uniform(max(arrive + 4, first), last)] = "leave"
    count = 0
    while time.monotonic() - start < TIMELINE.chat_until:
        await asyncio.sleep(rng.uniform(1.0, 2.5))
        now = time.monotonic() - start
        due = [t for t in plan if t <= now]
        for t in due:
            action = plan.pop(t)
            if action == "reload":
                await student.reload()
            elif action == "drop":
                await student.lose_network(TIMELINE.drop_seconds)
            elif action == "leave":
                await student.leave()
                return
        count += 1
        await student.say(f"{student.name} says {count}")


async def _facilitate(
    client: httpx.AsyncClient, csrf: str, session_id: int, roles: Roles, students: list[SimStudent], start: float
) -> None:
    """Remove one student from their room; a little later move another into a different open room."""
    headers = {"Accept": "application/json"}
    await asyncio.sleep(max(0.0, start + TIMELINE.remove_at - time.monotonic()))
    target = roles.removed
    await _seated(target)  # removed from a room, so the check that they never meet those partners again has teeth
    response = await client.post(
        f"/facilitate/{session_id}/participants/{target.pid}/remove", data={"csrf_token": csrf}, headers=headers
    )
    assert response.status_code == 200, response.text
    await asyncio.sleep(max(0.0, start + TIMELINE.move_at - time.monotonic()))
    stats = (await client.get(f"/facilitate/{session_id}/stats.json")).json()
    mover = roles.moved
    await _seated(mover)
    # A facilitator moves a student into a room where everyone is there (the console shows who is reconnecting).
    live = {s.pid for s in students if s.gone_at is None}
    rooms = [r["id"] for r in stats["rooms"] if r["id"] != mover.room and all(m["id"] in live for m in r["members"])]
    assert rooms
    form = {"csrf_token": csrf, "participant_id": str(mover.pid), "room_id": str(rooms[0])}
    response = await client.post(f"/facilitate/{session_id}/move", data=form, headers=headers)
    assert response.status_code == 200, response.text


async def _seated(student: SimStudent) -> None:
    """Wait until ``student`` is in a room (arriving students are, within PAIRED_WITHIN)."""
    deadline = time.monotonic() + SETTLE
    while time.monotonic() < deadline:
        if student.room is not None:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{student.name} is not in a room")


def _was_gone(other: SimStudent, at: float) -> str | None:
    """Why ``other``'s socket counts as gone at ``at`` (the server had time to notice), or None."""
    for begin, end, kind in other.gone_spans:
        if kind == "reload":
            continue  # a reload reconnects at once; the room keeps them, "reconnecting"
        notice = HEARTBEAT_TIMEOUT + 1.0 if kind == "network lost" else 1.0
        if begin + notice <= at and (end is None or end >= at):
            return str(kind)
    return None


def _role(s: SimStudent, roles: Roles) -> str:
    for name in ("lobby_closers", "reloaders", "droppers", "leavers", "late"):
        if s in getattr(roles, name):
            return name
    return "removed" if s is roles.removed else "moved" if s is roles.moved else "chatter"


def _check(students: list[SimStudent], roles: Roles, end: float) -> list[str]:
    by_pid = {s.pid: s for s in students}
    problems: list[str] = []
    for s in students:
        for p in s.pairings:
            if not p.new:
                continue
            for other in p.others:
                why = _was_gone(by_pid[other], p.at)
                if why:
                    problems.append(f"{s.name} paired in room {p.room} with {by_pid[other].name}, gone ({why})")
            countries = {by_pid[o].country for o in p.others} | {s.country}
            if len(countries) == 1 and p.others:
                rival = [
                    o.name
                    for o in students
                    if o.country != s.country
                    and any(b <= p.at - 0.5 and (e is None or e >= p.at + 1.0) for b, e in o.lobby_spans)
                ]
                if rival:
                    problems.append(f"one-country room {p.room} ({s.name}) while {rival} waited")
        for begin, finish in s.lobby_spans:
            waited = (finish if finish is not None else end) - begin
            if waited > PAIRED_WITHIN + 1.0 and s.present:
                problems.append(f"{s.name} ({_role(s, roles)}) waited {waited:.1f} s in the lobby, told {len(s.told)}x")
        if s.present and s.room is None:
            problems.append(f"{s.name} is present but not in a room at the end")
        duplicates = [m for m, n in s.received.items() if n > 1]
        if duplicates:
            problems.append(f"{s.name} got messages {duplicates[:5]} more than once")
    problems += _check_delivery(students)
    old_partners = roles.removed.stays[0].first_members if roles.removed.stays else set()
    for stay in roles.removed.stays[1:]:
        if stay.members & (old_partners - {roles.removed.pid}):
            problems.append(f"{roles.removed.name} was paired again with a partner they were removed from")
    return problems


def _check_delivery(students: list[SimStudent]) -> list[str]:
    """Every acknowledged message reaches every member present in its room exactly once."""
    problems: list[str] = []
    acks = [a for s in students for a in s.acked]
    for s in students:
        for stay in s.stays:
            for message_id, room, at in acks:
                if room != stay.room or at < stay.start + 0.5 or (stay.end is not None and at > stay.end - 1.0):
                    continue
                horizon = stay.end if stay.end is not None else float("inf")
                if any(k != "reload" and b <= horizon and (e is None or e >= at - 0.5) for b, e, k in s.gone_spans):
                    continue  # gone for good meanwhile: resume does not apply
                if s.received[message_id] != 1:
                    problems.append(f"{s.name} got message {message_id} of room {room} {s.received[message_id]} times")
    return problems


async def _console_matches_database(
    client: httpx.AsyncClient, session_id: int, database_url: str, students: list[SimStudent]
) -> list[str]:
    stats = (await client.get(f"/facilitate/{session_id}/stats.json")).json()
    engine = make_engine(database_url)
    try:
        with Session(engine) as db:
            rows = db.exec(select(Participant).where(Participant.session_id == session_id)).all()
            in_db = {p.id: (p.status.value if not p.banned else "banned", p.room_id) for p in rows}
            seats = db.exec(select(RoomMember).where(col(RoomMember.left_at).is_(None))).all()
            open_seats = {(m.room_id, m.participant_id) for m in seats}
    finally:
        engine.dispose()
    problems: list[str] = []
    shown = {p["id"]: (p["status"], p["room"]) for p in stats["participants"]}
    if shown != in_db:
        problems.append(f"console participants differ from the database: {set(shown.items()) ^ set(in_db.items())}")
    console_seats = {(r["id"], m["id"]) for r in stats["rooms"] for m in r["members"]}
    db_seats = {(room, pid) for room, pid in open_seats if in_db.get(pid, (None, None))[1] == room}
    if console_seats != db_seats:
        problems.append(f"console rooms differ from the database: {console_seats ^ db_seats}")
    for s in students:
        if s.present and shown.get(s.pid, (None, None))[1] != s.room:
            problems.append(f"{s.name}: client in room {s.room}, console says {shown.get(s.pid)}")
    return problems


async def _settled(students: list[SimStudent], roles: Roles) -> list[str]:
    """The checks' findings once the lesson has settled: as soon as they find nothing (and still nothing a moment
    later, for frames in flight), or else after SETTLE, by when every promise is due."""
    deadline = time.monotonic() + SETTLE
    while time.monotonic() < deadline:
        reconnecting = any(s.retry is not None and not s.retry.done() for s in students)
        if not reconnecting and not _check(students, roles, time.monotonic()):
            await asyncio.sleep(QUIET)
            break
        await asyncio.sleep(0.25)
    return _check(students, roles, time.monotonic())


async def _lesson(servers: list[Server], demo: DemoData, database_url: str) -> list[str]:
    rng = random.Random(13)
    students = _students(servers)
    roles = _roles(students, rng)
    start = time.monotonic()
    limits = httpx.Limits(max_connections=100)
    # Each class behind one address: all students of a class share one HTTP client (and 127.0.0.1).
    async with (
        httpx.AsyncClient(base_url=servers[0].url, timeout=20, limits=limits) as gb,
        httpx.AsyncClient(base_url=servers[-1].url, timeout=20, limits=limits) as es,
        httpx.AsyncClient(base_url=servers[0].url, timeout=20) as staff,
    ):
        csrf = await _staff(staff, demo.logins["facilitator"])
        lives = [
            _life(s, roles, start, gb if s.country == "GB" else es, random.Random(f"{rng.random()}-{s.name}"))
            for s in students
        ]
        try:
            await asyncio.gather(*lives, _facilitate(staff, csrf, demo.session_id, roles, students, start))
            problems = await _settled(students, roles)
            problems += await _console_matches_database(staff, demo.session_id, database_url, students)
        finally:
            await asyncio.gather(*(s.aclose() for s in students))
    assert all(s.final_close == 4001 for s in roles.leavers), [s.final_close for s in roles.leavers]
    return problems


async def test_classroom_on_sqlite(tmp_path: Path) -> None:
    demo = _seed(tmp_path)
    server = Server(tmp_path, env=ENV).start()
    try:
        problems = await _lesson([server], demo, make_settings(tmp_path).database_url)
    finally:
        server.kill()
    assert problems == [], "\n".join(problems)


@pytest.mark.postgres
@pytest.mark.redis
async def test_classroom_on_postgres_and_redis_with_two_processes(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    demo = _seed(tmp_path, postgres_url)
    env = {**ENV, "BRIDGEWAY_DATABASE_URL": postgres_url, "BRIDGEWAY_BROKER_URL": redis_url}
    one, two = await asyncio.to_thread(start_together, Server(tmp_path, env=env), Server(tmp_path, env=env))
    try:
        problems = await _lesson([one, two], demo, postgres_url)
    finally:
        one.kill()
        two.kill()
    assert problems == [], "\n".join(problems)
