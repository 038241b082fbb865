"""SQL only through the ORM or bound parameters (SEC-09), read from the source with ``ast``.

Raw SQL is allowed only as text fixed in the source (a literal; values go in as ``:name``
parameters of SQLAlchemy's ``text()``): no SQL handed to ``text``, ``execute``,
``exec_driver_sql`` or a cursor is ever built from data at run time. A sort or column name
from a request is checked against an allowlist (the subject list's ``SORTS``); the fuzzed
``sort`` parameter in ``tests/integration/test_input_fuzz.py`` exercises it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "studyapp"
RAW_CALLS = {"exec_driver_sql", "executescript", "executemany"}


def _sqlalchemy_text_names(tree: ast.Module) -> set[str]:
    """The local names SQLAlchemy's ``text`` is imported under."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            names |= {a.asname or a.name for a in node.names if a.name == "text"}
    return names


def _static(node: ast.AST | None) -> bool:
    """SQL text fixed in the source: a literal, a choice of literals, or an f-string whose
    only holes are ``int(...)`` (a PRAGMA takes no bound parameter)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.IfExp):
        return _static(node.body) and _static(node.orelse)
    if isinstance(node, ast.JoinedStr):
        return all(
            isinstance(part, ast.Constant)
            or (
                isinstance(part, ast.FormattedValue)
                and isinstance(part.value, ast.Call)
                and getattr(part.value.func, "id", "") == "int"
            )
            for part in node.values
        )
    return False


def problems(source: str, name: str = "<source>") -> list[str]:
    """Every call in *source* that builds SQL from anything but text fixed in the source."""
    tree = ast.parse(source)
    texts = _sqlalchemy_text_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        first = node.args[0] if node.args else None
        if (called in texts or called in RAW_CALLS) and not _static(first):
            found.append(f"{name}:{node.lineno}: {called}() of something built at run time")
        stringly = isinstance(first, ast.JoinedStr | ast.BinOp) or (
            isinstance(first, ast.Call) and getattr(first.func, "attr", "") == "format"
        )
        if called == "execute" and stringly and not _static(first):
            found.append(f"{name}:{node.lineno}: execute() of a string built at run time")
    return found


@pytest.mark.req("SEC-09")
def test_no_sql_is_built_from_strings_in_the_application():
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        found += problems(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy import text\ndb.session.execute(text(f'SELECT {x}'))",
        "from sqlalchemy import text as t\nconn.execute(t('SELECT ' + x))",
        "conn.exec_driver_sql(query)",
        "cursor.execute('SELECT * FROM subject WHERE id = ' + x)",
        "cursor.execute(f'SELECT {x}')",
        "cursor.execute('SELECT {}'.format(x))",
        "cursor.execute(f'PRAGMA busy_timeout = {str(x)}')",
    ],
)
def test_the_scan_finds_sql_built_at_run_time(source):
    assert problems(source)


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy import text\nconn.execute(text('SELECT 1 WHERE a = :a'), {'a': x})",
        "db.session.execute(select(User).where(User.id == x))",
        "def text(v):\n    return str(v)\ntext(f'{v}')",  # not SQLAlchemy's text
        "cursor.execute(f'PRAGMA busy_timeout = {int(ms)}')",
        "conn.exec_driver_sql('BEGIN' if ro else 'BEGIN IMMEDIATE')",
    ],
)
def test_the_scan_lets_literals_and_the_orm_pass(source):
    assert not problems(source)
