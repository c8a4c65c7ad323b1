"""The `bridgeway` command as an operator runs it: real subprocesses, real database files."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, select

from app.db import make_engine
from app.models import SchoolClass, User
from app.security import verify_password
from rooms.models import ExchangeSession, SessionStatus


def run(args: list[str], data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGEWAY_")}
    environment.update({"BRIDGEWAY_DATA_DIR": str(data_dir), **env})
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, env=environment, timeout=120
    )


def test_demo_creates_what_it_prints(tmp_path: Path) -> None:
    result = run(["demo"], tmp_path)
    assert result.returncode == 0, result.stderr
    codes = re.findall(r"^\s{4}([A-Z0-9]{6})\s{3}", result.stdout, re.MULTILINE)
    logins = dict(re.findall(r"^\s{4}(\S+)\s+password (\S+)$", result.stdout, re.MULTILINE))
    session_id = int(re.search(r"Live session id (\d+)", result.stdout).group(1))  # type: ignore[union-attr]
    assert codes == ["RIVER9", "CERVA3"]
    assert set(logins) == {"coordinator-gb", "coordinator-es", "facilitator"}
    engine = make_engine(f"sqlite:///{tmp_path / 'bridgeway.db'}")
    with Session(engine) as db:
        classes = db.exec(select(SchoolClass)).all()
        assert {c.join_code for c in classes} == set(codes)
        for username, password in logins.items():
            user = db.exec(select(User).where(User.username == username)).one()
            assert verify_password(user.password_hash, password)
        live = db.get(ExchangeSession, session_id)
        assert live is not None
        assert live.status == SessionStatus.LIVE
    engine.dispose()


def test_create_user_then_duplicate_is_a_clear_error(tmp_path: Path) -> None:
    ok = run(["create-user", "maria", "--role", "facilitator", "--password", "correct horse battery"], tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "created facilitator 'maria'" in ok.stdout
    again = run(["create-user", "maria", "--role", "admin", "--password", "correct horse battery"], tmp_path)
    assert again.returncode == 1
    assert again.stderr.strip() == "bridgeway: error: a user named 'maria' already exists"


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["migrate"], {"BRIDGEWAY_DATABASE_URL": "nonsense"}, "not a database URL"),
        (["migrate"], {"BRIDGEWAY_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}, "cannot reach the database"),
        (["migrate"], {"BRIDGEWAY_DATABASE_URL": "mongodb://127.0.0.1/x"}, "unsupported database URL scheme"),
        (["serve"], {"BRIDGEWAY_ENV": "production"}, "BRIDGEWAY_SECRET_KEY is required"),
        (["serve", "--workers", "2"], {}, "--workers > 1 needs"),
        (["create-user", "x", "--role", "admin", "--password", "short"], {}, "at least 10 characters"),
    ],
    ids=[
        "malformed-url",
        "unreachable-db",
        "unknown-scheme",
        "production-no-secret",
        "workers-on-sqlite",
        "weak-password",
    ],
)
def test_bad_configuration_gives_one_line_and_nonzero_exit(
    tmp_path: Path, args: list[str], env: dict[str, str], expected: str
) -> None:
    result = run(args, tmp_path, **env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("bridgeway: error: ")
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_serve_on_a_port_in_use_says_so(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run(["serve", "--port", str(port)], tmp_path)
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == f"bridgeway: error: port {port} on 127.0.0.1 is already in use: stop the other server or pass --port"
    )


def test_migrate_twice_is_idempotent(tmp_path: Path) -> None:
    first, second = run(["migrate"], tmp_path), run(["init-db"], tmp_path)
    assert first.returncode == 0
    assert second.returncode == 0
    assert first.stdout.split()[-1] == second.stdout.split()[-1]


def test_translation_worker_without_a_queue_url_says_what_to_set(tmp_path: Path) -> None:
    result = run(["translation-worker"], tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "bridgeway: error: set BRIDGEWAY_TRANSLATION_QUEUE_URL=redis://... (the same on the chat servers)"
        " to run a worker"
    )
