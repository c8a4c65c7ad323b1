"""``bridgeway reset-password / disable-user / enable-user / delete-user``: real subprocesses, audited."""

from __future__ import annotations

import re
from pathlib import Path

from sqlmodel import Session, col, select

from app.db import make_engine
from app.models import User
from app.security import verify_password
from rooms.models import ModerationAction
from tests.app.test_cli import run


def _state(data_dir: Path) -> tuple[User | None, list[str]]:
    engine = make_engine(f"sqlite:///{data_dir / 'bridgeway.db'}")
    with Session(engine, expire_on_commit=False) as db:
        user = db.exec(select(User).where(User.username == "maria")).first()
        audit = [a.action for a in db.exec(select(ModerationAction).order_by(col(ModerationAction.id)))]
    engine.dispose()
    return user, audit


def test_cli_account_commands_change_the_account_and_audit_it(tmp_path: Path) -> None:
    assert (
        run(["create-user", "maria", "--role", "facilitator", "--password", "correct horse"], tmp_path).returncode == 0
    )
    reset = run(["reset-password", "maria"], tmp_path)
    assert reset.returncode == 0, reset.stderr
    password = re.search(r"new password for 'maria': (\S+)", reset.stdout).group(1)  # type: ignore[union-attr]
    user, _ = _state(tmp_path)
    assert user is not None
    assert verify_password(user.password_hash, password)
    assert user.session_version == 1
    assert run(["disable-user", "maria"], tmp_path).stdout.strip() == "disabled 'maria'"
    user, _ = _state(tmp_path)
    assert user is not None
    assert (user.disabled, user.session_version) == (True, 2)
    assert run(["enable-user", "maria"], tmp_path).returncode == 0
    assert run(["delete-user", "maria"], tmp_path).stdout.strip() == "deleted 'maria'"
    user, audit = _state(tmp_path)
    assert user is None
    assert audit == ["account_reset", "account_disable", "account_enable", "account_delete"]


def test_cli_account_command_for_an_unknown_user_is_one_clear_line(tmp_path: Path) -> None:
    result = run(["disable-user", "ghost"], tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == "bridgeway: error: no staff account named 'ghost'"
