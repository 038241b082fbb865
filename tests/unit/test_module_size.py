"""Modules a reader can hold in mind: no file of studyapp over 400 lines, no function over 40.

The two limits are the figures issue 12 reported (files over 400 lines: 3 -> 0, functions over
40 lines: 14 -> 0); this test keeps them there. A function's length counts from its ``def``
(decorators excluded) to its last line, docstring and comments included. Each check also runs
on made-up source that breaks it, so a blind check fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "studyapp"
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 40


def long_functions(source: str) -> list[tuple[str, int]]:
    """(name, lines) of each function or method longer than the limit, nested ones too."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append((node.name, length))
    return found


def line_count(source: str) -> int:
    return len(source.splitlines())


def _sources() -> list[tuple[str, str]]:
    files = sorted(ROOT.rglob("*.py"))
    assert len(files) > 100, "the walk should see the whole package"
    return [(str(p.relative_to(ROOT.parent)), p.read_text(encoding="utf-8")) for p in files]


def test_no_file_is_over_400_lines() -> None:
    too_long = {name: n for name, src in _sources() if (n := line_count(src)) > MAX_FILE_LINES}
    assert too_long == {}, "split these modules: " + repr(too_long)


def test_no_function_is_over_40_lines() -> None:
    too_long = {name: found for name, src in _sources() if (found := long_functions(src))}
    assert too_long == {}, "split these functions: " + repr(too_long)


def test_a_made_up_long_function_and_file_are_found() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(40))
    method_body = body.replace("    ", "        ")
    source = f"def short():\n    return 1\n\n\nclass C:\n    def long(self):\n{method_body}"
    assert long_functions(source) == [("long", 41)]
    assert long_functions("def f():\n" + body[: -len("    x39 = 39\n")]) == []
    assert line_count("\n" * 400) == 400
    assert line_count("x = 1\n" * 401) == 401
