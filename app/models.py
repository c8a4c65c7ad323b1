"""School, class, staff and exchange tables: who organises an exchange and with whom."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from rooms.clock import utcnow


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    FACILITATOR = "facilitator"


class School(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    country: str = Field(max_length=2, index=True)  # ISO-3166 alpha-2
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    timezone: str = Field(max_length=64)  # IANA name
    safeguarding_email: str | None = Field(default=None, max_length=254)  # staff contact, never shown to students
    holidays: list[list[str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    """A staff account. Students are ``Participant`` rows and never have one."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True, index=True)
    display_name: str = Field(max_length=120)
    password_hash: str = Field(max_length=255)
    role: Role
    school_id: int | None = Field(default=None, foreign_key="school.id", index=True)
    language: str = Field(default="en", max_length=8)
    # Exchange notifications (proposals, acceptances, schedule changes) go here, in ``language``, unless opted out.
    email: str | None = Field(default=None, max_length=254)
    exchange_emails: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = None
    # Every staff session cookie carries the version it was issued under; bumping it (logout, password change,
    # disable) ends all of this user's sessions and open watch sockets at once.
    session_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    disabled: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = Field(default_factory=utcnow)


class SchoolClass(SQLModel, table=True):
    __tablename__ = "school_class"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    name: str = Field(max_length=120)
    age_band: str = Field(max_length=16)  # e.g. "13-15"
    size: int = 25
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Weekly windows in the school's local time: [{"weekday": 0-6, "start": "HH:MM", "end": "HH:MM"}]
    availability: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    join_code: str = Field(max_length=16, unique=True, index=True)
    join_code_expires_at: datetime
    created_at: datetime = Field(default_factory=utcnow)


class ExchangeStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Exchange(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    status: ExchangeStatus = ExchangeStatus.PROPOSED
    mode: str = Field(default="live", max_length=16)  # "live" or "async"
    room_size: int = 2
    max_per_class: int | None = None
    retention_days: int | None = None
    link_allowlist: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    moderation: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    proposed_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class ExchangeClass(SQLModel, table=True):
    __tablename__ = "exchange_class"

    exchange_id: int = Field(foreign_key="exchange.id", primary_key=True)
    class_id: int = Field(foreign_key="school_class.id", primary_key=True)
    accepted: bool = False
