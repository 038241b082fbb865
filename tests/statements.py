"""Count the SQL statements a piece of work sends: a page's cost must not grow with the
number of subjects (no query per row), so tests compare counts at two study sizes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from studyapp.extensions import db


@contextmanager
def counting() -> Iterator[list[str]]:
    """The statements sent inside the block, as a list that fills while it runs."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def statements_of(work: Callable[[], object]) -> int:
    """How many statements *work* sends."""
    with counting() as seen:
        work()
    return len(seen)


def page_statements(client: Any, path: str) -> int:
    """How many statements the page at *path* sends (it must answer 200)."""

    def get() -> None:
        assert client.get(path).status_code == 200, path

    return statements_of(get)
