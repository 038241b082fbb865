"""Forms missing per visit: for each planned visit, the forms the protocol requires there and,
per form page, how many of the visits done by the as-of date lack it or have it in progress,
with the subjects.

Done visits are the tracker's (done in or out of window); the form statuses are the visit
page's (``visits.summary``), read for the whole study at once. Only the pages that keep one
record per visit are counted; a visit's subject-level forms (adverse events, disposition), its
medication list (empty when nothing was taken) and the forms this version does not collect are
listed as not counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from studyapp.crf import registry
from studyapp.crf.status import IN_PROGRESS
from studyapp.exports.operations.compliance import lines_as_of
from studyapp.localized import local
from studyapp.protocol.loader import get_protocol
from studyapp.visits.schedule.tracker import Tracker, tracker
from studyapp.visits.summary import study_form_statuses

DONE = ("done", "done_out_of_window")


@dataclass
class FormGap:
    """One form page at one visit: the form codes it records and the subjects lacking it."""

    key: str
    label: str
    codes: tuple[str, ...]
    done: int = 0
    missing: list[str] = field(default_factory=list)
    in_progress: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class VisitForms:
    code: str
    name: str
    done: int
    forms: list[FormGap]
    not_counted: tuple[str, ...]


def _gaps(forms: tuple[str, ...]) -> tuple[list[FormGap], tuple[str, ...]]:
    gaps: dict[str, FormGap] = {}
    skipped = []
    for code in forms:
        page = registry.required_page(code)
        if page is None:
            skipped.append(code)
        elif page.key in gaps:
            gaps[page.key].codes += (code,)
        else:
            gaps[page.key] = FormGap(page.key, str(page.label), (code,))
    return list(gaps.values()), tuple(skipped)


def missing_forms(actor: Any, as_of: date, board: Tracker | None = None) -> list[VisitForms]:
    """Per planned visit, its required form pages and the done visits lacking each.

    *board* is the tracker on *as_of* when the caller already has it."""
    board = board or tracker(actor, as_of)
    lines = lines_as_of(board, as_of)
    statuses = study_form_statuses()
    out = []
    for definition in get_protocol().visits:
        if definition.day is None:
            continue
        gaps, skipped = _gaps(definition.forms)
        done = 0
        for line in lines:
            cell = line.cells.get(definition.code)
            if cell is None or cell.status not in DONE:
                continue
            done += 1
            found = statuses.get(cell.visit.id, {}) if cell.visit is not None else {}
            for gap in gaps:
                gap.done += 1
                status = found.get(gap.key)
                if status is None:
                    gap.missing.append(line.subject.label)
                elif status == IN_PROGRESS:
                    gap.in_progress.append(line.subject.label)
        out.append(VisitForms(definition.code, local(definition), done, gaps, skipped))
    return out
