"""docs/architecture.md matches the code: every file it names exists, and every function it names is in that file."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
_FILE = re.compile(r"`((?:app|rooms|translation|tests|static|templates|docs)/[\w/.-]*)`")
# "`rooms/pipeline.py` `MessagePipeline.send`": a file, then a name defined in it (a class, function or method).
_NAMED = re.compile(r"`([\w/]+\.(?:py|js))`\s+`(\w+(?:\.\w+)?)`")
# "`MessagePipeline._deliver`" on its own: a method of a class of ours, wherever it is.
_METHOD = re.compile(r"`([A-Z]\w+\.\w+)`")


@cache
def _python_names(path: Path) -> frozenset[str]:
    """Top-level names and Class.method names defined in a module."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            names.update(
                f"{node.name}.{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            )
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return frozenset(names)


def test_architecture_doc_names_only_files_that_exist() -> None:
    named = {path for path in _FILE.findall(DOC) if "<" not in path}
    assert len(named) > 40
    assert sorted(path for path in named if not (ROOT / path).exists()) == []


def test_architecture_doc_names_only_functions_that_exist() -> None:
    pairs = _NAMED.findall(DOC)
    assert len(pairs) > 15
    missing = []
    for file, name in pairs:
        path = ROOT / file
        if path.suffix == ".py":
            found = name in _python_names(path)
        else:
            found = re.search(rf"\bfunction {re.escape(name)}\b", path.read_text(encoding="utf-8")) is not None
        if not found:
            missing.append(f"{file} {name}")
    assert missing == []


def test_architecture_doc_names_only_methods_that_exist() -> None:
    defined = {
        name
        for package in ("app", "rooms", "translation")
        for path in (ROOT / package).rglob("*.py")
        if "versions" not in path.parts
        for name in _python_names(path)
    }
    methods = set(_METHOD.findall(DOC))
    assert len(methods) > 15
    assert sorted(methods - defined) == []
