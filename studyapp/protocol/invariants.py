"""The checks the protocol dataclasses make of themselves (in ``__post_init__``)."""

from __future__ import annotations


def require(condition: bool, message: str) -> None:
    """Raise ValueError with *message* unless *condition* holds."""
    if not condition:
        raise ValueError(message)


def unique(values: list[str], what: str) -> None:
    """Raise ValueError naming the first value of *values* seen twice."""
    seen: set[str] = set()
    for v in values:
        require(v not in seen, f"duplicate {what} {v!r}")
        seen.add(v)
