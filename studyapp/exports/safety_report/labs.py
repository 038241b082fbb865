"""Lab abnormalities by CTCAE grade up to the cut-off.

The graded results are the lab findings of ``visits.labs.findings`` (the lab page's, the
subject page's) from grade 1 up, with a sample date on or before the cut-off. A subject counts
once per test, at the worst grade of that test.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from decimal import Decimal

from flask_babel import gettext as _

from studyapp.protocol.loader import get_protocol
from studyapp.reports.safety_pdf import Block, Para, Section, Table
from studyapp.visits.labs.findings import Finding, findings
from studyapp.visits.labs.readings import unit_text

from .cutoff import Cut, SubjectAt, day_text, enrolled_at, number

GRADES = (1, 2, 3, 4)


def subject_findings(s: SubjectAt, cut: Cut, min_grade: int = 1) -> list[Finding]:
    """The subject's results graded >= *min_grade*, sampled on or before the cut-off."""
    return [f for f in findings(s.subject.id, min_grade=min_grade) if cut.dated(f.on)]


def _test_order() -> dict[str, int]:
    return {lab.testcd: i for i, lab in enumerate(get_protocol().labs)}


def grade_rows(cut: Cut, tally: dict[str, int]) -> tuple[tuple[str, ...], ...]:
    """Per test: subjects at their worst grade (G1-G4), subjects with any, graded results.

    One pass over the enrolled subjects, each folded into counts per test; the graded results
    are counted in ``tally["lab_findings"]``.
    """
    at_worst: dict[str, Counter[int]] = defaultdict(Counter)
    results: Counter[str] = Counter()
    terms: dict[str, str] = {}
    for s in enrolled_at(cut):
        worst: dict[str, int] = {}
        for found in subject_findings(s, cut):
            terms[found.testcd] = found.term
            results[found.testcd] += 1
            worst[found.testcd] = max(worst.get(found.testcd, 0), found.grade)
            tally["lab_findings"] += 1
        for code, grade in worst.items():
            at_worst[code][grade] += 1
    order = _test_order()
    return tuple(
        (
            terms[code],
            *(str(at_worst[code][grade]) for grade in GRADES),
            str(sum(at_worst[code].values())),
            str(results[code]),
        )
        for code in sorted(at_worst, key=lambda c: (order.get(c, len(order)), c))
    )


def visit_name(visitnum: str) -> str:
    """The protocol's name of a visit number; an unscheduled visit (4.01) by the protocol's
    unscheduled visit name and its number."""
    number_ = Decimal(visitnum)
    protocol = get_protocol()
    for visit in protocol.visits:
        if visit.visitnum == number_:
            return visit.name
    return f"{protocol.unscheduled_visit.name} ({visitnum})"


def severe_rows(cut: Cut) -> Iterator[tuple[str, ...]]:
    """The results of grade 3 or higher, subject by subject."""
    for s in enrolled_at(cut):
        for found in subject_findings(s, cut, min_grade=3):
            yield (
                s.label,
                found.term,
                day_text(found.on),
                visit_name(found.visitnum),
                f"{number(found.value)} {unit_text(found.unit)}".strip(),
                str(found.grade),
            )


def _blocks(cut: Cut, tally: dict[str, int]) -> Iterator[Block]:
    grades = tuple(_("G%(g)d", g=g) for g in GRADES)
    header = (_("Test (CTCAE term)"), *grades, _("Subjects"), _("Graded results"))
    listing = (_("Subject"), _("Test"), _("Date"), _("Visit"), _("Result"), _("Grade"))
    yield Para(_("Subjects at their worst CTCAE grade for each test."), "note")
    rows = grade_rows(cut, tally)
    yield Table(header, rows, (4, 1, 1, 1, 1, 1, 1), empty=_("None recorded."))
    yield Para(
        _(
            "Patients with ITP enter the study with low platelet counts (CTCAE grade 3-4): "
            "these are counted here, and are adverse events only on significant worsening."
        ),
        "note",
    )
    yield Para(_("Results of grade 3 or higher"), "subheading")
    yield Table(listing, severe_rows(cut), (2, 3, 2, 1, 2, 1), empty=_("None recorded."))


def labs_section(cut: Cut, tally: dict[str, int]) -> Section:
    """Read when laid out: a pass over the enrolled subjects for the counts, another for the
    listing of grade >= 3 results."""
    return Section(_("Laboratory abnormalities by CTCAE grade"), _blocks(cut, tally))
