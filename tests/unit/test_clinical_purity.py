"""studyapp/clinical is pure: standard library, the protocol dataclasses and unit table only."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

CLINICAL = Path(__file__).resolve().parents[2] / "studyapp" / "clinical"
MODULES = sorted(CLINICAL.glob("*.py"))
FORBIDDEN = ("flask", "sqlalchemy", "flask_sqlalchemy", "werkzeug", "jinja2", "click")
#: The protocol dataclasses and the unit table are plain data (stdlib only).
ALLOWED_PROJECT = ("studyapp.clinical", "studyapp.protocol.model", "studyapp.protocol.units")


def imported_modules(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: use absolute imports"
            names.append(node.module or "")
    return names


def test_modules_found() -> None:
    assert {"schedule.py", "dosing.py", "response.py", "grading.py", "units.py"} <= {
        p.name for p in MODULES
    }


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_no_framework_imports(path: Path) -> None:
    for name in imported_modules(path):
        top = name.split(".")[0]
        assert top not in FORBIDDEN, f"{path.name} imports {name}"


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_only_stdlib_or_pure_project_imports(path: Path) -> None:
    for name in imported_modules(path):
        top = name.split(".")[0]
        if top == "studyapp":
            assert name.startswith(ALLOWED_PROJECT), f"{path.name} imports {name} (loader/app code)"
        else:
            assert top in sys.stdlib_module_names or top == "__future__", (
                f"{path.name} imports {name}"
            )


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_no_io_calls(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = {
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    assert not calls & {"open", "print", "input"}, f"{path.name} does I/O"
