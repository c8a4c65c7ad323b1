"""Every hook spec is documented (when it is called, what it returns) and has a test named after it."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from rooms.moderation import hookspecs

HERE = Path(__file__).parent


def _hookspec_names() -> list[str]:
    return [
        name
        for name, value in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(value, f"{hookspecs.PROJECT_NAME}_spec")
    ]


def test_hookspecs_are_documented_and_tested() -> None:
    """Fails when a hook spec has no real docstring or no `test_hook_<name>` test under tests/rooms/moderation/."""
    names = _hookspec_names()
    assert set(names) >= {"moderate_message", "forget_participant"}
    test_names = {
        node.name
        for path in HERE.rglob("test_*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    for name in names:
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert len(doc.split()) >= 20, f"hook spec {name} needs a real docstring"
        assert "Called" in doc, f"hook spec {name}'s docstring must say when it is called"
        assert any(t.startswith(f"test_hook_{name}") for t in test_names), f"hook spec {name} has no test_hook_{name}*"
