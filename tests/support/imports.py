"""The import graph of our packages, read from the source with ast (nothing is imported to build it).

Every import statement counts, wherever it stands: at module level, inside a function (the usual dodge of a
cycle) or under ``if TYPE_CHECKING:`` (a cycle mypy still has to untangle). Only edges between modules of the
packages scanned are kept.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "rooms", "translation")
_SKIPPED = ("app/migrations/versions",)


def module_files(packages: Iterable[str] = PACKAGES, root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> source file, for every module of the packages (``pkg/__init__.py`` as ``pkg``)."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root)
            if any(relative.as_posix().startswith(skipped) for skipped in _SKIPPED):
                continue
            parts = relative.with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imported(module: str, path: Path) -> Iterator[str]:
    """The dotted names a module imports; ``from a import b`` yields ``a.b`` (the caller shortens it to a module)."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            yield from (f"{origin}.{alias.name}" for alias in node.names)


def import_graph(packages: Iterable[str] = PACKAGES, root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the modules of the scanned packages it imports (``from pkg import submodule`` names the submodule)."""
    files = module_files(packages, root)
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        targets = set()
        for name in _imported(module, path):
            # `from a.b import c` names a.b.c when c is a module, else a.b (c is a class): keep the longest module.
            # A package's __init__ runs before its submodules, but that implicit step is not an import edge.
            while name and name not in files:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted, as the modules in a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def path_between(graph: Mapping[str, set[str]], start: str, end: str) -> list[str]:
    """One shortest import chain from ``start`` to ``end`` (empty when there is none), to name a cycle's edges."""
    previous: dict[str, str] = {}
    frontier = [start]
    seen = {start}
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph.get(node, ())):
                if target == end:
                    chain = [target, node]
                    while chain[-1] != start:
                        chain.append(previous[chain[-1]])
                    return chain[::-1]
                if target not in seen:
                    seen.add(target)
                    previous[target] = node
                    following.append(target)
        frontier = following
    return []
