"""The validation map: which COMPLIANCE.md requirement each test shows (P11-01).

``docs/validation.md`` holds one row per requirement ID: ``covered`` with the tests
marked ``@pytest.mark.req("ID")``, or ``pending`` with the capability that will bring
it. This module reads both sides and reports every disagreement; the suite fails on
any, and ``make test`` prints the counts.

    python -m tests.validation_map           # counts, and problems (exit 1 if any)
    python -m tests.validation_map --write   # rewrite the table from the markers
"""

from __future__ import annotations

import ast
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "validation.md"
COMPLIANCE = ROOT.parent / "shared" / "COMPLIANCE.md"
ID_RE = re.compile(r"\b(P11|GCP|CN|PRV|SEC|REL)-\d{2}\b")
ROW_RE = re.compile(
    r"^\| (?P<id>[A-Z0-9]+-\d{2}) \| (?P<state>covered|pending) \| (?P<rest>.*) \|$"
)
BEGIN, END = "<!-- map:begin -->", "<!-- map:end -->"


def _req_ids(decorator: ast.expr) -> list[str]:
    if (
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Attribute)
        and decorator.func.attr == "req"
    ):
        return [a.value for a in decorator.args if isinstance(a, ast.Constant)]
    return []


def _module_ids(tree: ast.Module) -> list[str]:
    """The IDs of a module-level ``pytestmark`` (one mark or a list of marks)."""
    ids: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            marks = node.value.elts if isinstance(node.value, ast.List) else [node.value]
            for mark in marks:
                ids += _req_ids(mark)
    return ids


def marked_tests() -> dict[str, list[str]]:
    """ID -> ["tests/path.py::test_name", ...] from the @pytest.mark.req decorators and
    the modules' ``pytestmark``."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = path.relative_to(ROOT).as_posix()
        module = _module_ids(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                ids = [r for d in node.decorator_list for r in _req_ids(d)]
                for req in dict.fromkeys([*module, *ids]):
                    found[req].append(f"{rel}::{node.name}")
    return dict(found)


def doc_rows() -> dict[str, tuple[str, str]]:
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = ROW_RE.match(line)
        if match:
            rows[match["id"]] = (match["state"], match["rest"])
    return rows


def compliance_ids() -> set[str] | None:
    """IDs defined in the shared COMPLIANCE.md, when it is beside the repository."""
    if not COMPLIANCE.exists():
        return None
    return {
        m.group(0)
        for m in re.finditer(
            r"\*\*((?:P11|GCP|CN|PRV|SEC|REL)-\d{2})\*\*", COMPLIANCE.read_text(encoding="utf-8")
        )
        for m in [ID_RE.search(m.group(1))]
        if m
    }


def problems() -> list[str]:
    marks, rows = marked_tests(), doc_rows()
    out = []
    defined = compliance_ids()
    if defined is not None and defined != set(rows):
        out.append(
            f"docs/validation.md IDs differ from COMPLIANCE.md: "
            f"missing {sorted(defined - set(rows))}, unknown {sorted(set(rows) - defined)}"
        )
    for req in sorted(set(marks) - set(rows)):
        out.append(f"{req}: marked on {marks[req][0]} but not a known requirement ID")
    for req, (state, _rest) in sorted(rows.items()):
        if state == "covered" and req not in marks:
            out.append(f"{req}: marked covered in docs/validation.md but no test carries it")
    if render() != DOC.read_text(encoding="utf-8"):
        out.append(
            "docs/validation.md is out of date: run `python -m tests.validation_map --write`"
        )
    return out


def render() -> str:
    """The document with its table rebuilt from the markers (pending notes kept)."""
    text = DOC.read_text(encoding="utf-8")
    head, _, tail = text.partition(BEGIN)
    _, _, tail = tail.partition(END)
    marks = marked_tests()
    lines = [BEGIN, "| ID | State | Tests, or the capability that will bring it |", "|---|---|---|"]
    for req, (state, rest) in doc_rows().items():
        if req in marks:
            tests = ", ".join(f"`{t}`" for t in marks[req])
            lines.append(f"| {req} | covered | {tests} |")
        else:
            note = rest if state == "pending" else "(no test yet)"
            lines.append(f"| {req} | pending | {note} |")
    return head + "\n".join(lines) + "\n" + END + tail


def counts() -> tuple[int, int]:
    rows, marks = doc_rows(), marked_tests()
    covered = sum(1 for req in rows if req in marks)
    return covered, len(rows) - covered


def main(argv: list[str]) -> int:
    if "--write" in argv:
        DOC.write_text(render(), encoding="utf-8")
    covered, pending = counts()
    print(  # noqa: T201 - a command-line report
        f"validation map: {covered} requirements covered, {pending} pending (docs/validation.md)"
    )
    issues = problems()
    for issue in issues:
        print(f"  problem: {issue}")  # noqa: T201
    return 1 if issues else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
