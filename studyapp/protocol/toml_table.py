"""A TOML table read with its key path: typed getters, and errors that name the key.

A value of the wrong type, a missing key or an unknown one (a typo that would otherwise fall
back to a default) raises ValueError naming the key path, for example
``visits[3].window_before``, and what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

T = TypeVar("T")


class Table:
    """A TOML table with its key path; typed getters raise ValueError naming the key."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a table, got {type(data).__name__}")
        self.data: dict[str, Any] = data
        self.path = path
        self.used: set[str] = set()

    def key_path(self, key: str) -> str:
        """The key's full path for messages: ``visits[3].window_before``."""
        return f"{self.path}.{key}" if self.path else key

    def value(self, key: str, kind: type[T], what: str, default: Any = ...) -> T:
        """The value of *key* if it is a *kind* (*what* says so in the error), else *default*.

        Without a default a missing key is an error; either way the key counts as known.
        """
        self.used.add(key)
        if key not in self.data:
            if default is ...:
                raise ValueError(f"{self.key_path(key)}: missing; expected {what}")
            return default  # type: ignore[no-any-return]
        value = self.data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(f"{self.key_path(key)}: expected {what}, got {value!r}")
        return value

    def text(self, key: str, default: Any = ...) -> str:
        return self.value(key, str, "a string", default)

    def integer(self, key: str, default: Any = ...) -> int:
        return self.value(key, int, "an integer", default)

    def flag(self, key: str, default: Any = ...) -> bool:
        return self.value(key, bool, "true or false", default)

    def day(self, key: str, default: Any = ...) -> date:
        return self.value(key, date, "a date (YYYY-MM-DD, unquoted)", default)

    def number(self, key: str, default: Any = ...) -> Decimal:
        return to_decimal(self.value(key, object, "a number", default), self.key_path(key))

    def texts(self, key: str, default: Any = ...) -> tuple[str, ...]:
        values = self.value(key, list, "a list of strings", default)
        if not all(isinstance(v, str) for v in values):
            raise ValueError(f"{self.key_path(key)}: expected a list of strings, got {values!r}")
        return tuple(values)

    def table(self, key: str) -> Table:
        return Table(self.value(key, dict, "a table"), self.key_path(key))

    def tables(self, key: str, default: Any = ...) -> list[Table]:
        items = self.value(key, list, "an array of tables", default)
        return [Table(item, f"{self.key_path(key)}[{i}]") for i, item in enumerate(items)]

    def done(self) -> None:
        """Reject keys that no reader asked for (typos, misplaced keys)."""
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise ValueError(
                f"{self.path or 'top level'}: unknown key(s) {', '.join(unknown)}; "
                f"allowed: {', '.join(sorted(self.used))}"
            )


def to_decimal(value: object, key: str) -> Decimal:
    """Convert a TOML number or numeric string to Decimal; ValueError naming *key* if not."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{key}: expected a number, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{key}: expected a finite number, got {value!r}")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{key}: expected a number, got {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"{key}: expected a finite number, got {value!r}")
    return result


def build_from(table: Table, build: Callable[[Table], T]) -> T:
    """Build one object, check for unknown keys, and prefix model errors with the key path."""
    try:
        result = build(table)
    except ValueError as exc:
        message = str(exc)
        raise ValueError(
            message if message.startswith(table.path) else f"{table.path}: {message}"
        ) from None
    table.done()
    return result
