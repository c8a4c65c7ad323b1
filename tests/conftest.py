"""Shared fixtures: settings on a temp SQLite, the app, a TestClient, demo data, and real-service gates."""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.db import make_engine
from app.demo import DemoData, seed_demo
from app.main import create_app
from app.migrate import upgrade
from app.settings import Settings

REQUIRE_SERVICES = os.environ.get("BRIDGEWAY_REQUIRE_SERVICES") == "1"
POSTGRES_URL = os.environ.get("BRIDGEWAY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def worker_redis_url(base: str, worker: str | None) -> str:
    """The Redis database this pytest-xdist worker flushes: the base URL's for gw0 (and without xdist), the one below
    it for gw1, and so on, so that two workers never flush each other's data mid-test."""
    index = int(worker.removeprefix("gw")) if worker else 0
    parts = urlsplit(base)
    db = int(parts.path.strip("/") or 0) - index
    if db < 0:
        raise pytest.UsageError(f"BRIDGEWAY_TEST_REDIS_URL={base}: no Redis database left for xdist worker {worker}")
    return urlunsplit(parts._replace(path=f"/{db}"))


REDIS_URL = worker_redis_url(
    os.environ.get("BRIDGEWAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"), os.environ.get("PYTEST_XDIST_WORKER")
)
# The long versions of the slowest tests (README, "Run the tests"): the classroom simulation's full lesson, more
# delivery schedules. The default sizes keep the suite short (README) and still check every invariant.
LONG = os.environ.get("BRIDGEWAY_TEST_LONG") == "1"

# Hypothesis's per-example deadline and its "generation is slow" check measure the machine, not the code: under the
# suite's two workers and their servers they failed tests whose properties held. Every property keeps its examples.
hypothesis_settings.register_profile("bridgeway", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("bridgeway")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _service_available(marker: str) -> tuple[bool, str]:
    if marker == "postgres":
        return _reachable("127.0.0.1", 5432), "PostgreSQL is not reachable on 127.0.0.1:5432"
    if marker == "redis":
        return _reachable("127.0.0.1", 6379), "Redis is not reachable on 127.0.0.1:6379"
    if marker == "browser":
        if not Path("/usr/bin/chromium").exists():
            return False, "Chromium is not installed at /usr/bin/chromium (apt-get install chromium)"
        try:
            import playwright  # noqa: F401
        except ImportError:
            return False, "Playwright is not installed (pip install -e '.[test]')"
        return True, ""
    if marker == "translation":
        try:
            import argostranslate  # noqa: F401
            import ctranslate2  # noqa: F401
        except ImportError:
            return False, "argostranslate/ctranslate2 are not installed (see README: translation extra)"
        return True, ""
    return True, ""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests whose service is absent, with the reason; with BRIDGEWAY_REQUIRE_SERVICES=1 fail instead.

    Browser tests run last: Playwright's sync API keeps an event loop running in the main thread while a
    browser is open, which would break the asyncio tests (and other Playwright instances) that follow it.
    """

    def order(item: pytest.Item) -> tuple[bool, bool]:
        # tests/browser shares one session-scoped browser; other browser tests start and stop their own first.
        return item.get_closest_marker("browser") is not None, "tests/browser/" in item.nodeid

    items.sort(key=order)
    cache: dict[str, tuple[bool, str]] = {}
    for item in items:
        for marker in ("postgres", "redis", "browser", "translation"):
            if item.get_closest_marker(marker) is None:
                continue
            if marker not in cache:
                cache[marker] = _service_available(marker)
            ok, reason = cache[marker]
            if ok:
                continue
            if REQUIRE_SERVICES:
                item.add_marker(pytest.mark.usefixtures("_required_service_missing"))
                item.user_properties.append(("missing", reason))
            else:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def _required_service_missing(request: pytest.FixtureRequest) -> None:
    reasons = [v for k, v in request.node.user_properties if k == "missing"]
    pytest.fail(f"BRIDGEWAY_REQUIRE_SERVICES=1 but: {'; '.join(reasons)}")


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Iterator[None]:
    """Real argon2id, with the smallest cost: the default (~0.25 s a hash) dominates a suite that logs in a lot."""
    from argon2 import PasswordHasher

    import app.security as security

    original = security._hasher
    security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    security._hasher = original


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to head once per run; each test gets a copy (much faster than migrating)."""
    path = tmp_path_factory.mktemp("template") / "bridgeway.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "secret_key": "test-secret-key-for-bridgeway-tests",
        "broker_url": "memory://",
        "translation_backend": "off",
        "reconnect_grace_seconds": 0.3,
        "repair_grace_seconds": 0.3,
        "scheduler_interval": 0.2,
        "join_failure_rate": "1000/minute",
        "login_rate": "1000/minute",
        # Apps in the test process itself: a frozen heap would keep every later test's cyclic garbage of that
        # moment alive and hide leak warnings. Servers started as processes keep the default (on).
        "gc_tuning": False,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    shutil.copy(migrated_template, tmp_path / "bridgeway.db")
    return make_settings(tmp_path)


@pytest.fixture
def app(settings: Settings) -> Starlette:
    return create_app(settings)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def demo(settings: Settings) -> DemoData:
    """The `bridgeway demo` data: GB and ES classes (codes RIVER9, CERVA3), staff logins and a live session."""
    engine = make_engine(settings.database_url)
    upgrade(engine)
    data = seed_demo(engine, settings)
    engine.dispose()
    return data


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema in the real PostgreSQL for one test, dropped afterwards."""
    from sqlalchemy import text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def demo_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database with the demo data (RIVER9, CERVA3, a live session), on SQLite and on PostgreSQL."""
    url = f"sqlite:///{tmp_path / 'demo.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    upgrade(engine)
    seed_demo(engine, make_settings(tmp_path, database_url=url))
    yield engine
    engine.dispose()


@pytest.fixture
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    client.close()
    return REDIS_URL
