"""The shape of the code, read with ``ast``: imports between packages, sizes, commits.

Used by tests/unit/test_architecture.py (no package cycles, clinical/ pure, no feature
importing another's views) and by benchmarks/code_figures.py (the figures of a release).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "studyapp"


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # the imported module (or module.name), dotted
    line: int
    top_level: bool  # False: inside a function (imported when called)


def modules(root: Path = ROOT) -> Iterator[tuple[str, Path]]:
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports(root: Path = ROOT) -> list[Import]:
    found: list[Import] = []
    for module, path in modules(root):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_package = path.name == "__init__.py"
        nested = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            for inner in ast.walk(node)
        }
        for node in ast.walk(tree):
            top = id(node) not in nested
            if isinstance(node, ast.Import):
                found += [Import(module, a.name, node.lineno, top) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(module, is_package, node)
                found += [Import(module, f"{base}.{a.name}", node.lineno, top) for a in node.names]
    return [i for i in found if i.target.split(".")[0] == PACKAGE]


def unit(dotted: str) -> str:
    """The package (or top-level module) of studyapp a dotted name belongs to."""
    parts = dotted.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else parts[0]


def package_graph(found: list[Import]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for imp in found:
        source, target = unit(imp.module), unit(imp.target)
        if source != target and target != PACKAGE and source != PACKAGE:
            graph.setdefault(source, set()).add(target)
    return graph


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of more than one package that import each other, directly or through others."""
    reach = {node: reachable(graph, node) for node in graph}
    groups = {
        tuple(sorted({node} | {other for other in reach[node] if node in reach.get(other, ())}))
        for node in graph
    }
    return sorted(list(group) for group in groups if len(group) > 1)


def long_files(limit: int = 400, root: Path = ROOT) -> list[tuple[str, int]]:
    out = []
    for module, path in modules(root):
        count = len(path.read_text(encoding="utf-8").splitlines())
        if count > limit:
            out.append((module, count))
    return sorted(out, key=lambda item: -item[1])


def long_functions(limit: int = 40, root: Path = ROOT) -> list[tuple[str, int]]:
    out = []
    for module, path in modules(root):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > limit:
                    out.append((f"{module}.{node.name}", size))
    return sorted(out, key=lambda item: -item[1])


def commits(root: Path = ROOT) -> dict[str, int]:
    """Calls of ``<something>.commit()`` per module."""
    out: dict[str, int] = {}
    for module, path in modules(root):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "commit"
            ):
                out[module] = out.get(module, 0) + 1
    return out
