"""Migration 0002 (staff session versions, disabled accounts) upgrades existing users on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, select

from app.db import make_engine
from app.migrate import current_revision, head_revision, upgrade
from app.models import Role, User


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'm.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_staff_session_migration_upgrades_existing_users(engine: Engine) -> None:
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO "user" (username, display_name, password_hash, role, language, failed_logins, created_at)'
                " VALUES ('old', 'Old', 'h', 'FACILITATOR', 'en', 0, CURRENT_TIMESTAMP)"
            )
        )
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert {"session_version", "disabled"} <= {c["name"] for c in inspect(engine).get_columns("user")}
    with Session(engine) as db:
        user = db.exec(select(User).where(User.username == "old")).one()
        assert (user.session_version, user.disabled) == (0, False)
        db.add(User(username="new", display_name="New", password_hash="h", role=Role.ADMIN))
        db.commit()
