"""Services never commit: only the edges do (ARCHITECTURE "Request life", issue 12 item 2).

The modules of ``studyapp/`` are read with ``ast`` (not grep, so comments and strings do not
count): any call of ``.commit(`` or of ``keep_refusal(`` outside an edge fails the test.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "studyapp"

#: The edges, each with why it may commit.
EDGES = {
    "transaction.py": "the mechanism: transaction(), commit_if() and keep_refusal()",
    "demo/loader.py": "the demo loader is an edge: each dated step commits as its request would",
    "auth/views.py": "sign-in: a refused attempt counts toward the lockout (keep_refusal)",
    "web/form_page.py": (
        "submit(kept=...): a refused signature or code counts toward the lockout, an "
        "undelivered code is recorded, although the answer is an error"
    ),
    "signatures/signing.py": "sign_page: a refused signature counts toward the lockout",
    "exports/jobs.py": (
        "an export job in a background thread is its own edge: it commits its progress and "
        "its file's audit event, as a command would"
    ),
}

CALLS = {"commit", "keep_refusal"}


def _called_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    if isinstance(node.func, ast.Name):
        return node.func.id
    return None


def committing_calls(source: str) -> list[int]:
    """Line numbers of ``x.commit(...)`` and ``keep_refusal(...)`` calls in ``source``."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and _called_name(node) in CALLS
    ]


def _modules() -> list[str]:
    return sorted(p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*.py"))


def test_the_detector_sees_calls_and_ignores_comments_and_strings() -> None:
    source = (
        "db.session.commit()\n"
        "# db.session.commit()\n"
        "text = 'session.commit()'\n"
        "keep_refusal()\n"
        "session.flush()\n"
    )
    assert committing_calls(source) == [1, 4]


def test_every_listed_edge_exists() -> None:
    modules = set(_modules())
    assert set(EDGES) <= modules


def test_no_module_but_an_edge_commits() -> None:
    offenders = {
        module: lines
        for module in _modules()
        if module not in EDGES
        if (lines := committing_calls((ROOT / module).read_text(encoding="utf-8")))
    }
    assert offenders == {}, "these modules commit: flush instead and let the edge commit"
