"""Forms missing per visit: for each planned visit, the forms the protocol requires there and,
per form page, how many of the visits done by the as-of date lack it or have it in progress,
with the subjects.

Done visits are the tracker's (done in or out of window), and the state of each required form
is the one the visit page and the tracker show (``CalendarRow.entry``), read a batch of
subjects at a time so memory stays flat as the study grows. Only the pages that keep one
record per visit are counted; a visit's subject-level forms (adverse events, disposition), its
medication list (empty when nothing was taken) and the forms this version does not collect are
listed as not counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from studyapp.clinical.visit_forms import MISSING
from studyapp.crf import registry
from studyapp.crf.status import IN_PROGRESS
from studyapp.exports.operations.compliance import Compliance, ComplianceCount, enrolled_by
from studyapp.localized import local
from studyapp.permissions import Action, require
from studyapp.protocol.loader import get_protocol
from studyapp.visits.schedule.tracker import TrackerLine

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


class MissingCount:
    """Per planned visit, its required form pages and the done visits lacking each, added a
    subject at a time."""

    def __init__(self) -> None:
        self.visits = []
        for definition in get_protocol().visits:
            if definition.day is not None:
                gaps, skipped = _gaps(definition.forms)
                self.visits.append((definition, gaps, skipped))
        self.done = {definition.code: 0 for definition, _, _ in self.visits}

    def add(self, line: TrackerLine) -> None:
        for definition, gaps, _ in self.visits:
            cell = line.cells.get(definition.code)
            if cell is None or cell.status not in DONE:
                continue
            self.done[definition.code] += 1
            states = dict(cell.entry.states)
            for gap in gaps:
                gap.done += 1
                state = states.get(gap.key, MISSING)
                if state == MISSING:
                    gap.missing.append(line.subject.label)
                elif state == IN_PROGRESS:
                    gap.in_progress.append(line.subject.label)

    def result(self) -> list[VisitForms]:
        return [
            VisitForms(d.code, local(d), self.done[d.code], gaps, skipped)
            for d, gaps, skipped in self.visits
        ]


def missing_forms(actor: Any, as_of: date) -> list[VisitForms]:
    """Per planned visit, its required form pages and the done visits lacking each."""
    require(actor, Action.VIEW_STUDY_DATA)
    count = MissingCount()
    for line in enrolled_by(as_of):
        count.add(line)
    return count.result()


def compliance_and_missing(actor: Any, as_of: date) -> tuple[Compliance, list[VisitForms]]:
    """``compliance`` and ``missing_forms`` on *as_of* in one walk of the study (the page)."""
    require(actor, Action.VIEW_STUDY_DATA)
    visits, missing = ComplianceCount(as_of), MissingCount()
    for line in enrolled_by(as_of):
        visits.add(line)
        missing.add(line)
    return visits.result(), missing.result()
