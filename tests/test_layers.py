"""The layers of docs/architecture.md hold: app -> rooms -> translation, and no import cycle anywhere in them.

The graph is read from the source (tests/support/imports.py), function-level and TYPE_CHECKING imports included:
a cycle dodged by importing inside a function is still a cycle.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.imports import cycles, import_graph, path_between

GRAPH = import_graph()
# Which top-level packages each may import (besides itself); docs/architecture.md has the same table.
ALLOWED = {"app": {"rooms", "translation"}, "rooms": {"translation"}, "translation": set()}


def _top(module: str) -> str:
    return module.partition(".")[0]


def test_layers_have_no_import_cycle() -> None:
    found = cycles(GRAPH)
    chains = [" -> ".join(path_between(GRAPH, group[0], group[0])) for group in found]
    assert chains == []


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_layers_import_only_downwards(package: str) -> None:
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        if _top(module) == package
        for target in targets
        if _top(target) != package and _top(target) not in ALLOWED[package]
    )
    assert upward == []


def test_layers_graph_covers_every_package() -> None:
    assert {_top(module) for module in GRAPH} == set(ALLOWED)
    assert "app.demo" in GRAPH["app.cli"]  # imported inside a command: function-level imports count


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_layers_graph_sees_a_cycle_dodged_inside_a_function(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg.b import thing\n",
            "pkg/b.py": "def thing():\n    from pkg import a\n    return a\n",
            "pkg/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import d\n",
            "pkg/d.py": "from .c import x\n",
            "pkg/e.py": "import pkg.a\n",
        },
    )
    graph = import_graph(["pkg"], tmp_path)
    assert graph["pkg.e"] == {"pkg.a"}
    assert cycles(graph) == [["pkg.a", "pkg.b"], ["pkg.c", "pkg.d"]]
    assert path_between(graph, "pkg.a", "pkg.a") == ["pkg.a", "pkg.b", "pkg.a"]
