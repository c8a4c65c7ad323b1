"""Staff login through the real form: one answer for unknown users and wrong passwords, at one cost."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import Parameters, PasswordHasher, extract_parameters
from starlette.testclient import TestClient

import app.security as security
from app.demo import DemoData
from tests.support.staff_login import csrf_from


class _CountingHasher(PasswordHasher):
    """The real argon2id hasher, recording the cost parameters of every hash and verify it runs.

    Comparing parameters instead of timing keeps the check exact: the suite's argon2 is cheap (about 1 ms), so the
    rest of a request would drown a timing difference.
    """

    def __init__(self, real: PasswordHasher) -> None:
        super().__init__(
            time_cost=real.time_cost,
            memory_cost=real.memory_cost,
            parallelism=real.parallelism,
            hash_len=real.hash_len,
            salt_len=real.salt_len,
            type=real.type,
        )
        self.runs: list[Parameters] = []

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        hashed = super().hash(password, salt=salt)
        self.runs.append(extract_parameters(hashed))
        return hashed

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.runs.append(extract_parameters(hash if isinstance(hash, str) else hash.decode()))
        return super().verify(hash, password)


@pytest.fixture
def hasher() -> Iterator[_CountingHasher]:
    original = security._hasher
    security._hasher = counting = _CountingHasher(original)
    yield counting
    security._hasher = original


def _attempt(
    client: TestClient, hasher: _CountingHasher, username: str, password: str
) -> tuple[int, str, list[Parameters]]:
    token = csrf_from(client.get("/login").text)
    form = {"csrf_token": token, "username": username, "password": password, "next": "/"}
    hasher.runs.clear()
    response = client.post("/login", data=form, follow_redirects=False)
    return response.status_code, response.text, list(hasher.runs)


def test_an_unknown_username_costs_and_reads_like_a_wrong_password(
    client: TestClient, demo: DemoData, hasher: _CountingHasher
) -> None:
    """Neither the page nor the work done may tell a prober which usernames exist: both run one argon2 of one cost."""
    username, password = next(iter(demo.logins.items()))
    wrong = _attempt(client, hasher, username, password + "-not")
    unknown = _attempt(client, hasher, "no-such-teacher", password)
    assert (wrong[0], unknown[0]) == (401, 401)
    assert "Wrong username or password." in wrong[1]
    assert unknown[1] == wrong[1].replace(username, "no-such-teacher")
    assert len(wrong[2]) == 1
    assert unknown[2] == wrong[2]
    status, _, runs = _attempt(client, hasher, username, password)
    assert status == 303
    assert len(runs) == 1
