"""Ownership rules on the demo's data: who may manage a school or an exchange, and who may run a session."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.access import can_manage_exchange, can_manage_school, can_run_session, exchange_school_ids
from app.demo import DemoData
from app.models import Role, School, User
from app.settings import Settings
from rooms.models import ExchangeSession
from tests.support.db import db


def _user(settings: Settings, username: str) -> User:
    with db(settings) as session:
        return session.exec(select(User).where(User.username == username)).one()


def _outsider(settings: Settings, role: Role) -> User:
    """Staff of a third school that takes no part in the demo's exchange."""
    with db(settings) as session:
        school = School(name="Elsewhere", country="DE", languages=["de"], timezone="Europe/Berlin")
        session.add(school)
        session.commit()
        user = User(username=f"out-{role}", display_name="Out", role=role, password_hash="-", school_id=school.id)
        session.add(user)
        session.commit()
        return user


def test_access_school_is_managed_by_its_coordinator_and_admins(settings: Settings, demo: DemoData) -> None:
    gb, es = demo.school_ids
    coordinator = _user(settings, "coordinator-gb")
    admin = User(username="root", display_name="Root", role=Role.ADMIN, password_hash="-")
    facilitator = _user(settings, "facilitator")
    assert can_manage_school(coordinator, gb)
    assert not can_manage_school(coordinator, es)
    assert can_manage_school(admin, es)
    assert not can_manage_school(facilitator, facilitator.school_id or 0)  # facilitators run sessions, not schools


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("coordinator-gb", True), ("coordinator-es", True), ("outsider", False)],
    ids=["gb", "es", "third-school"],
)
def test_access_sessions_are_run_by_schools_of_the_exchange(
    settings: Settings, demo: DemoData, who: str, allowed: bool
) -> None:
    user = _outsider(settings, Role.COORDINATOR) if who == "outsider" else _user(settings, who)
    with db(settings) as session:
        exchange_session = session.get(ExchangeSession, demo.session_id)
        assert exchange_session is not None
        assert exchange_school_ids(session, exchange_session.exchange_id) == set(demo.school_ids)
        assert can_manage_exchange(session, user, exchange_session.exchange_id) is allowed
        assert can_run_session(session, user, exchange_session) is allowed


def test_access_a_sessions_own_facilitator_runs_it_wherever_they_work(settings: Settings, demo: DemoData) -> None:
    outsider = _outsider(settings, Role.FACILITATOR)
    with db(settings) as session:
        exchange_session = session.get(ExchangeSession, demo.session_id)
        assert exchange_session is not None
        assert not can_run_session(session, outsider, exchange_session)
        exchange_session.facilitator_id = outsider.id
        assert can_run_session(session, outsider, exchange_session)
        assert not can_manage_exchange(session, outsider, exchange_session.exchange_id)
