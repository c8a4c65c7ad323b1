"""rooms/moderation is a part of its own: it imports nothing else from rooms/, app/ or translation/."""

from __future__ import annotations

import rooms.moderation
from tests.support.imports import import_graph


def _inside(module: str) -> bool:
    return module == "rooms.moderation" or module.startswith("rooms.moderation.")


def test_moderation_imports_nothing_else_from_our_packages() -> None:
    graph = import_graph()
    package = {module for module in graph if _inside(module)}
    assert {"rooms.moderation.hookspecs", "rooms.moderation.pipeline", "rooms.moderation.hooks.contact"} <= package
    outside = {module: sorted(t for t in graph[module] if not _inside(t)) for module in sorted(package)}
    assert {module: targets for module, targets in outside.items() if targets} == {}


def test_moderation_package_docstring_states_the_rule() -> None:
    assert "imports nothing else from rooms/" in (rooms.moderation.__doc__ or "")
