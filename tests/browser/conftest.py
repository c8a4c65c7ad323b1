"""Browser fixtures: Debian chromium under Playwright and a real Bridgeway (uvicorn subprocess) with demo data."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright

from app.db import make_engine
from app.demo import DemoData, seed_demo
from tests.conftest import make_settings
from tests.support.server import Server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"


@dataclass
class Site:
    """A running server and the demo data it was seeded with."""

    server: Server
    demo: DemoData

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    """One headless chromium for the whole run; each test opens its own isolated contexts."""
    launched = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield launched
    launched.close()


def start_site(data_dir: Path, template: Path, env: dict[str, str] | None = None) -> Site:
    """Seed the demo on a fresh copy of the migrated database, then serve it with uvicorn on a free port."""
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, data_dir / "bridgeway.db")
    engine = make_engine(f"sqlite:///{data_dir / 'bridgeway.db'}")
    demo = seed_demo(engine, make_settings(data_dir))
    engine.dispose()
    server = Server(
        data_dir,
        env={
            "BRIDGEWAY_LOGIN_RATE": "1000/minute",
            "BRIDGEWAY_SCHEDULER_INTERVAL": "0.5",
            **(env or {}),
        },
    )
    return Site(server.start(), demo)


@pytest.fixture
def site(tmp_path: Path, migrated_template: Path) -> Iterator[Site]:
    """A fresh server per test: pairing state never leaks between tests."""
    running = start_site(tmp_path / "data", migrated_template)
    try:
        yield running
    finally:
        running.server.kill()


@pytest.fixture
def new_context(browser: Browser, site: Site) -> Iterator[Callable[..., BrowserContext]]:
    """Open isolated browser contexts (one per simulated person) that are closed after the test."""
    opened: list[BrowserContext] = []

    def open_context(**options: object) -> BrowserContext:
        context = browser.new_context(base_url=site.url, **options)  # type: ignore[arg-type]
        context.set_default_timeout(10_000)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()


@pytest.fixture
def shot_name(request: pytest.FixtureRequest) -> str:
    """A file-name prefix for this test's screenshots."""
    return re.sub(r"[^\w.-]+", "_", request.node.name)
