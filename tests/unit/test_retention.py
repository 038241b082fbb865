"""Retention (CN-02): nothing in the application deletes audit rows or study data, read from
the source with ``ast``; the retention period is a setting of at least 5 years.

Rows leave the application only by a soft delete with a reason (``AuditedMixin.soft_delete``);
a hard delete of an audited row is refused by the session hook and, for the audit trail, by
the database triggers (tests/integration/test_audit.py). This test shows no code path tries.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from config import Config

ROOT = Path(__file__).resolve().parents[2] / "studyapp"
SQL_DELETE = re.compile(r"\b(DELETE\s+FROM|TRUNCATE|DROP\s+TABLE)\b", re.I)


def deletions(source: str, name: str = "<source>") -> list[str]:
    """Every call that deletes rows: ``session.delete``, SQLAlchemy's ``delete()``, a
    query's ``.delete()``, or SQL text that deletes, truncates or drops."""
    tree = ast.parse(source)
    found = []
    imported_delete = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy")
        for alias in node.names
        if alias.name == "delete"
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "delete":
                found.append(f"{name}:{node.lineno}: .delete()")
            if isinstance(func, ast.Name) and func.id in imported_delete:
                found.append(f"{name}:{node.lineno}: delete()")
        is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if is_text and SQL_DELETE.search(node.value) and not _is_docstring(node, tree):
            found.append(f"{name}:{node.lineno}: SQL that deletes")
    return found


def _is_docstring(node: ast.Constant, tree: ast.Module) -> bool:
    for owner in ast.walk(tree):
        body = getattr(owner, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and first.value is node:
            return True
    return False


@pytest.mark.req("CN-02")
def test_no_code_path_deletes_rows():
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        found += deletions(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not found, "\n".join(found)


@pytest.mark.req("CN-02")
def test_the_retention_period_is_at_least_five_years():
    assert Config.RETENTION_YEARS >= 5


@pytest.mark.parametrize(
    "source",
    [
        "db.session.delete(row)",
        "db.session.execute(select(AuditLog).where(x)).delete()",
        "from sqlalchemy import delete\ndb.session.execute(delete(AuditLog))",
        "conn.execute(text('DELETE FROM audit_log'))",
        "conn.execute(text('truncate audit_log'))",
    ],
)
def test_the_scan_finds_deletions(source):
    assert deletions(source)


def test_the_scan_lets_soft_deletes_and_docstrings_pass():
    source = '"""Rows are never removed: no DELETE FROM here."""\nrow.soft_delete("typo")\n'
    assert not deletions(source)
