"""Every kind of report or export file, once: what it is, who may make it, how it is written.

A kind registers an ``Export`` whose ``write`` streams the file into a binary file object and
answers its row counts (per dataset); the runner does the rest (permission, hash, audit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, BinaryIO

from studyapp.permissions import Action

#: (done, total): called now and then by a writer so a page can show progress.
Progress = Callable[[int, int], None]


def no_progress(_done: int, _total: int) -> None:
    """The progress callback of a caller that shows none."""


@dataclass(frozen=True)
class ExportContext:
    """What a writer is asked for: by whom, up to which date, for which subject, in which
    language, and where to report progress."""

    actor: Any
    cutoff: date | None = None
    subject_id: int | None = None
    locale: str = "en"
    generated_at: datetime | None = None
    progress: Progress = no_progress
    options: dict[str, Any] = field(default_factory=dict)


Writer = Callable[[ExportContext, BinaryIO], dict[str, int]]


@dataclass(frozen=True)
class Export:
    """One kind of file."""

    kind: str  # "safety_report", "casebook", "csv", "odm", "sdtm", ...
    label: object
    group: str  # "report" (PDF for reading) or "data" (a dataset export)
    action: Action  # the permission it needs
    suffix: str  # ".pdf", ".zip", ".xml", ".csv"
    mimetype: str
    write: Writer
    description: object = ""
    #: "required": one subject; "optional": one subject or all; None: the study.
    subject: str | None = None
    #: Whether the data cut-off date applies.
    cutoff: bool = True


EXPORTS: dict[str, Export] = {}


def register(export: Export) -> Export:
    """Add a kind; a kind registered twice is a mistake."""
    if export.kind in EXPORTS:
        raise ValueError(f"export {export.kind} is registered twice")
    EXPORTS[export.kind] = export
    return export


def get(kind: str) -> Export | None:
    return EXPORTS.get(kind)


def kinds(group: str | None = None) -> list[Export]:
    return [e for e in EXPORTS.values() if group is None or e.group == group]
