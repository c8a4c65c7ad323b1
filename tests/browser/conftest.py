"""Browser fixtures: Debian chromium under Playwright and a real Bridgeway (uvicorn subprocess) with demo data."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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
    # Only a guard against a start that hangs: sites start beside running browsers, slow on a loaded machine.
    return Site(server.start(timeout=60), demo)


class SitePool:
    """Fresh sites, each started while the tests before it run.

    A server's start (uvicorn importing the app, ~1.5 s, more on a busy machine) was most of a browser test's
    setup; started ahead it overlaps the browser work instead. Every test still gets a server and a database of
    its own, seeded just for it. Two sites are kept started per set of extra settings asked for (one was not
    enough for the short tests, which take about as long as a start), shared out among the xdist workers: two
    workers keeping two each had six servers starting at once beside two browsers on two cores, and one took over
    the 20 s a start may take.
    """

    AHEAD = max(1, 2 // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))

    def __init__(self, root: Path, template: Path) -> None:
        self._root, self._template = root, template
        self._starter = ThreadPoolExecutor(max_workers=self.AHEAD, thread_name_prefix="site-starter")
        self._count = itertools.count()
        self._spares: dict[tuple[tuple[str, str], ...], deque[Future[Site]]] = {}

    def _start(self, env: dict[str, str]) -> Future[Site]:
        data_dir = self._root / f"site-{next(self._count)}"
        return self._starter.submit(start_site, data_dir, self._template, env)

    def take(self, env: dict[str, str] | None = None) -> Site:
        """A site with these extra settings (started ahead if such were asked for before); the next ones start."""
        env = env or {}
        spares = self._spares.setdefault(tuple(sorted(env.items())), deque())
        site = (spares.popleft() if spares else self._start(env)).result()
        while len(spares) < self.AHEAD:  # once this test's site is up, so they do not slow its start down
            spares.append(self._start(env))
        return site

    def close(self) -> None:
        self._starter.shutdown(wait=True)
        for spare in itertools.chain.from_iterable(self._spares.values()):
            with contextlib.suppress(Exception):
                spare.result().server.kill()


@pytest.fixture(scope="session")
def sites(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Iterator[SitePool]:
    pool = SitePool(tmp_path_factory.mktemp("sites"), migrated_template)
    yield pool
    pool.close()


@pytest.fixture
def site(sites: SitePool) -> Iterator[Site]:
    """A fresh server per test: pairing state never leaks between tests."""
    running = sites.take()
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
