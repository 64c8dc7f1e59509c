"""The package layering of DESIGN.md, read from the source: no import cycles, imports flow one way.

Imports under ``if TYPE_CHECKING:`` are left out (they never run); imports inside functions
count, because they run. Migrations are left out: they are frozen and import nothing of ours.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# DESIGN.md's table, top to bottom: a package may import those on a lower rank, and
# packages on the same rank do not import each other (except api/cli, both front ends,
# where cli may start or reuse the API).
RANK = {"core": 0, "models": 1, "extractors": 2, "storage": 2, "flows": 3, "api": 4, "cli": 5}


def _module_files() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package in RANK:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts and "versions" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _runtime_imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in modules else base)
        stack.extend(ast.iter_child_nodes(node))
    return {imported for imported in found if imported in modules and imported != name}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _module_files()
    return {name: _runtime_imports(name, path, modules) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
    return components


def test_the_graph_is_read_from_the_source(graph: dict[str, set[str]]) -> None:
    assert "flows.pipeline" in graph
    assert "storage.repository" in graph["flows.pipeline"]
    assert "extractors.llama.errors" in graph["extractors.llama.client"]


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles(graph: dict[str, set[str]]) -> None:
    assert _cycles(graph) == []


def test_imports_flow_one_way(graph: dict[str, set[str]]) -> None:
    wrong = [
        f"{module} imports {imported}"
        for module, imports in graph.items()
        for imported in imports
        if module.split(".")[0] != imported.split(".")[0]
        and RANK[imported.split(".")[0]] >= RANK[module.split(".")[0]]
    ]
    assert wrong == []
