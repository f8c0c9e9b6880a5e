"""servicekit's modules import each other in one direction only (no circle).

A circle (``jsonlog`` → ``workqueue`` → ``metrics`` → ``jsonlog`` was one) makes
the import order matter and hides which module is the lower layer. This reads every
import statement, including those inside functions (a lazy import is still a
dependency), so moving an import into a function cannot hide a circle. The same
rule is also an import-linter contract (``acyclic_siblings`` in pyproject.toml).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "servicekit"
ROOT = Path(__file__).resolve().parents[2] / "libs" / PACKAGE / PACKAGE


def _modules() -> dict[str, Path]:
    return {
        path.stem: path for path in sorted(ROOT.glob("*.py")) if path.stem != "__init__"
    }


def imports_of(source: str, modules: set[str]) -> set[str]:
    """The sibling modules ``source`` imports, wherever the statement stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == PACKAGE and len(parts) > 1:
                    found.add(parts[1])
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x / from .x import y
                name = node.module or ""
                parts = [PACKAGE, *name.split(".")] if name else [PACKAGE]
            else:
                parts = (node.module or "").split(".")
            if parts[0] != PACKAGE:
                continue
            if len(parts) > 1:
                found.add(parts[1])
            else:  # from servicekit import jsonlog, metrics
                found.update(a.name for a in node.names)
    return found & modules


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    names = set(modules)
    return {
        name: imports_of(path.read_text(), names) - {name}
        for name, path in modules.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a path (first module repeated at the end), or None."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" after
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_detector_sees_a_circle_through_a_lazy_import():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
    lazy = "def f():\n    from servicekit import metrics\n    import servicekit.rpc\n"
    assert imports_of(lazy, {"metrics", "rpc", "jsonlog"}) == {"metrics", "rpc"}


def test_servicekit_has_no_import_circle():
    graph = import_graph()
    assert "workqueue" in graph and "jsonlog" in graph, "servicekit not found"
    cycle = find_cycle(graph)
    assert cycle is None, "import circle in servicekit: " + " -> ".join(cycle or [])
