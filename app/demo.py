"""Demo data: two schools in different countries, their classes, staff and a session that is live now."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from app.models import Exchange, ExchangeClass, ExchangeStatus, Role, School, SchoolClass, User
from app.security import hash_password
from app.settings import Settings
from rooms.clock import utcnow
from rooms.models import ExchangeSession, SessionStatus

DEMO_SCHOOLS = [
    ("Riverside High School", "GB", ["en"], "Europe/London", "Year 9 English", "RIVER9", "coordinator-gb"),
    ("IES Miguel de Cervantes", "ES", ["es"], "Europe/Madrid", "3º ESO B", "CERVA3", "coordinator-es"),
]
EXCHANGE_TITLE = "Demo exchange: our towns"


@dataclass
class DemoData:
    school_ids: list[int] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)  # class description -> join code
    logins: dict[str, str] = field(default_factory=dict)  # username -> password
    session_id: int = 0

    def describe(self, base_url: str) -> str:
        lines = ["Bridgeway demo data is ready.", "", f"  Open {base_url}/", ""]
        lines.append(f"  Students join at {base_url}/join with a class code:")
        lines += [f"    {code}   {label}" for label, code in self.codes.items()]
        lines += ["", f"  Staff log in at {base_url}/login:"]
        lines += [f"    {user:<16} password {password}" for user, password in self.logins.items()]
        lines += [
            "",
            f"  Live session id {self.session_id}: facilitator console at {base_url}/facilitate/{self.session_id}",
        ]
        return "\n".join(lines)


def _password() -> str:
    return secrets.token_urlsafe(9)


def _user(db: Session, username: str, role: Role, school_id: int | None, data: DemoData) -> User:
    password = _password()
    user = db.exec(select(User).where(User.username == username)).first()
    if user is None:
        user = User(username=username, display_name=username.replace("-", " ").title(), password_hash="", role=role)
    user.password_hash, user.school_id, user.failed_logins, user.locked_until = (
        hash_password(password),
        school_id,
        0,
        None,
    )
    db.add(user)
    db.flush()
    data.logins[username] = password
    return user


def seed_demo(engine: Engine, settings: Settings) -> DemoData:
    """Create (or refresh) the demo data; passwords are new on every run and printed once."""
    data = DemoData()
    now = utcnow()
    with Session(engine, expire_on_commit=False) as db:
        class_ids = []
        for name, country, languages, tz, class_name, code, coordinator in DEMO_SCHOOLS:
            school = db.exec(select(School).where(School.name == name)).first()
            if school is None:
                school = School(name=name, country=country, languages=languages, timezone=tz)
                db.add(school)
                db.flush()
            assert school.id is not None
            data.school_ids.append(school.id)
            school_class = db.exec(select(SchoolClass).where(SchoolClass.join_code == code)).first()
            if school_class is None:
                school_class = SchoolClass(
                    school_id=school.id,
                    name=class_name,
                    age_band="13-15",
                    languages=languages,
                    join_code=code,
                    join_code_expires_at=now + timedelta(days=settings.join_code_days),
                    availability=[{"weekday": d, "start": "09:00", "end": "15:00"} for d in range(5)],
                )
            school_class.join_code_expires_at = max(school_class.join_code_expires_at, now + timedelta(days=7))
            db.add(school_class)
            db.flush()
            assert school_class.id is not None
            class_ids.append(school_class.id)
            data.codes[f"{class_name}, {name} ({country})"] = code
            _user(db, coordinator, Role.COORDINATOR, school.id, data)
        facilitator = _user(db, "facilitator", Role.FACILITATOR, data.school_ids[0], data)
        exchange = db.exec(select(Exchange).where(Exchange.title == EXCHANGE_TITLE)).first()
        if exchange is None:
            exchange = Exchange(title=EXCHANGE_TITLE, status=ExchangeStatus.ACCEPTED)
            db.add(exchange)
            db.flush()
            for class_id in class_ids:
                db.add(ExchangeClass(exchange_id=exchange.id or 0, class_id=class_id, accepted=True))
        assert exchange.id is not None
        live = db.exec(
            select(ExchangeSession).where(
                ExchangeSession.exchange_id == exchange.id,
                ExchangeSession.status == SessionStatus.LIVE,
                ExchangeSession.ends_at > now + timedelta(minutes=30),
            )
        ).first()
        if live is None:
            live = ExchangeSession(
                exchange_id=exchange.id,
                title=EXCHANGE_TITLE,
                starts_at=now - timedelta(minutes=1),
                ends_at=now + timedelta(hours=3),
                topic="Where we live: what would you show a visitor in your town?",
                prompts=[
                    "Say hello and tell your partner one thing you like about your town.",
                    "What do young people do after school where you live?",
                    "Which food should a visitor to your country try first?",
                ],
                status=SessionStatus.LIVE,
                facilitator_id=facilitator.id,
            )
            db.add(live)
            db.flush()
        assert live.id is not None
        data.session_id = live.id
        db.commit()
    return data
