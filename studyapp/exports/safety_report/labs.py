"""Lab abnormalities by CTCAE grade up to the cut-off.

The graded results are the lab findings of ``visits.labs.findings`` (the lab page's, the
subject page's) from grade 1 up, with a sample date on or before the cut-off. A subject counts
once per test, at the worst grade of that test.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from studyapp.protocol.loader import get_protocol
from studyapp.reports.safety_pdf import Block, Para, Section, Table
from studyapp.visits.labs.findings import Finding, findings
from studyapp.visits.labs.readings import unit_text

from .cutoff import Cut, SubjectAt, day_text, number

GRADES = (1, 2, 3, 4)


@dataclass(frozen=True)
class LabFinding:
    subject: str
    finding: Finding


def lab_findings(subjects: list[SubjectAt], cut: Cut) -> list[LabFinding]:
    """Every result graded >= 1 of the enrolled subjects, sampled on or before the cut-off."""
    return [
        LabFinding(s.label, f)
        for s in subjects
        if s.enrolled
        for f in findings(s.subject.id, min_grade=1)
        if cut.dated(f.on)
    ]


def _test_order() -> dict[str, int]:
    return {lab.testcd: i for i, lab in enumerate(get_protocol().labs)}


def grade_rows(found: list[LabFinding]) -> tuple[tuple[str, ...], ...]:
    """Per test: subjects at their worst grade (G1-G4), subjects with any, graded results."""
    worst: dict[str, dict[str, int]] = defaultdict(dict)
    results: dict[str, int] = defaultdict(int)
    terms: dict[str, str] = {}
    for item in found:
        code = item.finding.testcd
        terms[code] = item.finding.term
        results[code] += 1
        worst[code][item.subject] = max(worst[code].get(item.subject, 0), item.finding.grade)
    order = _test_order()
    rows = []
    for code in sorted(worst, key=lambda c: (order.get(c, len(order)), c)):
        by_grade = [sum(1 for g in worst[code].values() if g == grade) for grade in GRADES]
        rows.append(
            (terms[code], *(str(n) for n in by_grade), str(len(worst[code])), str(results[code]))
        )
    return tuple(rows)


def visit_name(visitnum: str) -> str:
    """The protocol's name of a visit number; an unscheduled visit (4.01) by the protocol's
    unscheduled visit name and its number."""
    number_ = Decimal(visitnum)
    protocol = get_protocol()
    for visit in protocol.visits:
        if visit.visitnum == number_:
            return visit.name
    return f"{protocol.unscheduled_visit.name} ({visitnum})"


def severe_rows(found: list[LabFinding]) -> tuple[tuple[str, ...], ...]:
    return tuple(
        (
            item.subject,
            item.finding.term,
            day_text(item.finding.on),
            visit_name(item.finding.visitnum),
            f"{number(item.finding.value)} {unit_text(item.finding.unit)}".strip(),
            str(item.finding.grade),
        )
        for item in found
        if item.finding.grade >= 3
    )


def labs_section(found: list[LabFinding]) -> Section:
    grades = tuple(_("G%(g)d", g=g) for g in GRADES)
    header = (_("Test (CTCAE term)"), *grades, _("Subjects"), _("Graded results"))
    listing = (_("Subject"), _("Test"), _("Date"), _("Visit"), _("Result"), _("Grade"))
    blocks: list[Block] = [
        Para(_("Subjects at their worst CTCAE grade for each test."), "note"),
        Table(header, grade_rows(found), (4, 1, 1, 1, 1, 1, 1), empty=_("None recorded.")),
        Para(
            _(
                "Patients with ITP enter the study with low platelet counts (CTCAE grade 3-4): "
                "these are counted here, and are adverse events only on significant worsening."
            ),
            "note",
        ),
        Para(_("Results of grade 3 or higher"), "subheading"),
        Table(listing, severe_rows(found), (2, 3, 2, 1, 2, 1), empty=_("None recorded.")),
    ]
    return Section(_("Laboratory abnormalities by CTCAE grade"), tuple(blocks))
