"""Exposure: the doses each subject was given up to the cut-off, cumulative mg, and the dose
deviations and interruptions recorded on the dosing form.

The doses are the subject page's (``visits.summary.doses``: dated, not removed), cut at the
cut-off; a split first dose is one dose in two parts (two records of one dose number).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from studyapp.reports.safety_pdf import Block, Para, Section, Table
from studyapp.subjects.models import Subject
from studyapp.visits import summary
from studyapp.visits.dosing.checks import DOSE_UNIT
from studyapp.visits.models import DoseAdministration

from .cutoff import Cut, SubjectAt, day_text, enrolled_at, number, subject_at

#: Relative column widths of the deviations and interruptions listing.
EVENT_WIDTHS = (1.6, 1.6, 2, 1.3, 1.3, 1.6, 1.6, 3)


@dataclass(frozen=True)
class Exposure:
    """One subject's doses up to the cut-off."""

    subject: SubjectAt
    records: tuple[DoseAdministration, ...]

    @property
    def doses(self) -> int:
        return len({r.dose_number for r in self.records})

    @property
    def cumulative_mg(self) -> Decimal:
        return sum((Decimal(r.given_dose) for r in self.records if r.given_dose), Decimal(0))

    @property
    def deviations(self) -> tuple[DoseAdministration, ...]:
        return tuple(r for r in self.records if r.deviation)

    @property
    def interruptions(self) -> tuple[DoseAdministration, ...]:
        return tuple(r for r in self.records if r.interrupted)


def exposure_of(s: SubjectAt, cut: Cut) -> Exposure:
    """An enrolled subject's doses dated on or before the cut-off."""
    return Exposure(s, tuple(d for d in summary.doses(s.subject) if cut.dated(d.ec_date)))


def exposures(cut: Cut) -> Iterator[Exposure]:
    """The enrolled subjects' doses up to the cut-off, one subject at a time."""
    return (exposure_of(s, cut) for s in enrolled_at(cut))


def dose_numbers(subjects: Iterable[Subject], cut: Cut) -> dict[int, int]:
    """The dose number of each dose (by record id) of *subjects* that counts at the cut-off
    (those of subjects enrolled then); the listing of infusion reactions names them."""
    numbers = {}
    for subject in subjects:
        s = subject_at(subject, cut)
        if s is not None and s.enrolled and subject.deleted_at is None:
            numbers.update({r.id: r.dose_number for r in exposure_of(s, cut).records})
    return numbers


def _dose_name(record: DoseAdministration) -> str:
    if record.part and record.part > 1:
        return _("Dose %(n)d, part %(p)d", n=record.dose_number, p=record.part)
    return _("Dose %(n)d", n=record.dose_number)


def _summary_row(item: Exposure) -> tuple[str, ...]:
    return (
        item.subject.label,
        str(item.doses),
        number(item.cumulative_mg),
        day_text(item.records[-1].ec_date) if item.records else "",
        str(len(item.deviations)),
        str(len(item.interruptions)),
    )


def _summary_table(rows: list[tuple[str, ...]]) -> Table:
    header = (
        _("Subject"),
        _("Doses given"),
        _("Cumulative dose (%(u)s)", u=DOSE_UNIT),
        _("Last dose"),
        _("Dose deviations"),
        _("Interruptions"),
    )
    return Table(header, rows, (2, 1, 2, 2, 1, 1), empty=_("No subject is enrolled."))


def _event_row(item: Exposure, r: DoseAdministration) -> tuple[str, ...]:
    deviation = f"{number(r.deviation_pct)}%" if r.deviation else ""
    stopped = _("%(m)s min", m=number(r.interruption_minutes)) if r.interrupted else ""
    reason = " / ".join(t for t in (r.deviation_reason, r.interruption_reason) if t)
    return (
        item.subject.label,
        _dose_name(r),
        day_text(r.ec_date),
        number(r.planned_dose),
        number(r.given_dose),
        deviation,
        stopped,
        reason,
    )


def _blocks(cut: Cut, tally: dict[str, int]) -> Iterator[Block]:
    header = (
        _("Subject"),
        _("Dose"),
        _("Date"),
        _("Planned (%(u)s)", u=DOSE_UNIT),
        _("Given (%(u)s)", u=DOSE_UNIT),
        _("Deviation"),
        _("Interruption"),
        _("Reason"),
    )
    summary: list[tuple[str, ...]] = []
    events: list[tuple[str, ...]] = []
    for item in exposures(cut):
        tally["doses"] += item.doses
        summary.append(_summary_row(item))
        events += [_event_row(item, r) for r in item.records if r.deviation or r.interrupted]
    yield _summary_table(summary)
    yield Para(_("Dose deviations and infusion interruptions"), "subheading")
    yield Table(header, events, EVENT_WIDTHS, _("None recorded."))


def exposure_section(cut: Cut, tally: dict[str, int]) -> Section:
    """Read when laid out: one pass over the enrolled subjects, counting ``tally["doses"]``
    and keeping the rows of both tables as text (a second pass would cost more time than
    the rows cost memory)."""
    return Section(_("Exposure to study drug"), _blocks(cut, tally))
