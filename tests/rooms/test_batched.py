"""Batched calls on a real SQLite database: shared transactions, each caller resumed only after its own commit."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from rooms.batched import BatchedCalls
from rooms.database import Database
from rooms.tasks import Tasks


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    engine = create_engine(f"sqlite:///{tmp_path / 'group.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE seen (k INTEGER NOT NULL, batch INTEGER NOT NULL)"))
    db = Database(engine, threads=4)
    yield db
    db.dispose()


class Recorder:
    def __init__(self) -> None:
        self.batches: list[list[int]] = []

    def write(self, session: Session, keys: list[int]) -> list[int]:
        self.batches.append(keys)
        for key in keys:
            if key < 0:
                raise ValueError("no negative keys")
            session.execute(text("INSERT INTO seen (k, batch) VALUES (:k, :b)"), {"k": key, "b": len(self.batches)})
        session.commit()
        return [key * 10 for key in keys]


def _stored(db: Database, key: int) -> bool:
    with db.engine.connect() as conn:
        return bool(conn.execute(text("SELECT count(*) FROM seen WHERE k = :k"), {"k": key}).scalar_one() == 1)


async def test_batched_shares_transactions_and_resumes_each_caller_after_its_commit(database: Database) -> None:
    recorder, tasks = Recorder(), Tasks()
    group: BatchedCalls[int, int] = BatchedCalls(database, tasks, recorder.write)

    async def one(key: int) -> tuple[int, bool]:
        await asyncio.sleep(key / 2000)  # a stream of arrivals over 0.1 s
        result = await group.submit(key)
        return result, _stored(database, key)  # read on another connection: committed already

    answers = await asyncio.gather(*(one(key) for key in range(200)))
    assert answers == [(key * 10, True) for key in range(200)]
    assert sorted(k for batch in recorder.batches for k in batch) == list(range(200))
    assert 1 < len(recorder.batches) < 100  # while one batch commits, the next collects
    assert all(batch == sorted(batch) for batch in recorder.batches)  # submission order
    await tasks.aclose()


async def test_batched_fails_its_batch_alone_and_leaves_out_callers_who_gave_up(database: Database) -> None:
    recorder, tasks, go_on = Recorder(), Tasks(), threading.Event()
    loop, running = asyncio.get_running_loop(), asyncio.Event()

    def held_write(session: Session, keys: list[int]) -> list[int]:
        loop.call_soon_threadsafe(running.set)
        go_on.wait(5)  # the first batch stays in its thread until the next callers have come (and one gone)
        return recorder.write(session, keys)

    group: BatchedCalls[int, int] = BatchedCalls(database, tasks, held_write)
    first = asyncio.ensure_future(group.submit(1))
    await running.wait()  # the first batch ([1]) is on its way; these three wait for the next one
    bad = asyncio.ensure_future(group.submit(-1))
    gone = asyncio.ensure_future(group.submit(2))
    await asyncio.sleep(0)
    gone.cancel()
    go_on.set()
    assert await first == 10
    with pytest.raises(ValueError, match="negative"):
        await bad
    assert recorder.batches == [[1], [-1]]  # 2 gave up before its batch started: never written
    assert await group.submit(3) == 30  # a failed batch does not stop later ones; a lone call is not held back
    assert recorder.batches[-1] == [3]
    assert not _stored(database, 2)
    await tasks.aclose()


async def test_a_burst_shares_trips_with_callers_still_on_their_way(database: Database) -> None:
    """Callers that reach ``submit`` a few event-loop turns apart (a join's own steps first) share one trip."""
    recorder, tasks = Recorder(), Tasks()
    group: BatchedCalls[int, int] = BatchedCalls(database, tasks, recorder.write)

    async def one(key: int) -> int:
        for _ in range(key % 4):  # each caller has 0-3 steps of its own to run before it submits
            await asyncio.sleep(0)
        return await group.submit(key)

    assert await asyncio.gather(*(one(key) for key in range(40))) == [key * 10 for key in range(40)]
    assert recorder.batches == [sorted(range(40), key=lambda key: (key % 4, key))]
    await tasks.aclose()


async def test_batched_calls_raise_a_per_key_exception_to_that_caller_alone(database: Database) -> None:
    def look_up(session: Session, keys: list[int]) -> list[int | Exception]:
        return [LookupError(f"no {key}") if key % 2 else key for key in keys]

    tasks = Tasks()
    group: BatchedCalls[int, int] = BatchedCalls(database, tasks, look_up)
    answers = await asyncio.gather(*(group.submit(key) for key in range(4)), return_exceptions=True)
    assert answers[0::2] == [0, 2]
    assert [str(a) for a in answers[1::2]] == ["no 1", "no 3"]
    await tasks.aclose()
