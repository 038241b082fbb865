"""Exposure: the doses each subject was given up to the cut-off, cumulative mg, and the dose
deviations and interruptions recorded on the dosing form.

The doses are the subject page's (``visits.summary.doses``: dated, not removed), cut at the
cut-off; a split first dose is one dose in two parts (two records of one dose number).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from studyapp.reports.safety_pdf import Block, Para, Section, Table
from studyapp.visits import summary
from studyapp.visits.dosing.checks import DOSE_UNIT
from studyapp.visits.models import DoseAdministration

from .cutoff import Cut, SubjectAt, day_text, number

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


def exposures(subjects: list[SubjectAt], cut: Cut) -> list[Exposure]:
    """The enrolled subjects' doses dated on or before the cut-off."""
    out = []
    for s in subjects:
        if not s.enrolled:
            continue
        given = [d for d in summary.doses(s.subject) if cut.dated(d.ec_date)]
        out.append(Exposure(s, tuple(given)))
    return out


def _dose_name(record: DoseAdministration) -> str:
    if record.part and record.part > 1:
        return _("Dose %(n)d, part %(p)d", n=record.dose_number, p=record.part)
    return _("Dose %(n)d", n=record.dose_number)


def _summary_table(items: list[Exposure]) -> Table:
    header = (
        _("Subject"),
        _("Doses given"),
        _("Cumulative dose (%(u)s)", u=DOSE_UNIT),
        _("Last dose"),
        _("Dose deviations"),
        _("Interruptions"),
    )
    rows = tuple(
        (
            e.subject.label,
            str(e.doses),
            number(e.cumulative_mg),
            day_text(e.records[-1].ec_date) if e.records else "",
            str(len(e.deviations)),
            str(len(e.interruptions)),
        )
        for e in items
    )
    return Table(header, rows, (2, 1, 2, 2, 1, 1), empty=_("No subject is enrolled."))


def _event_rows(items: list[Exposure]) -> tuple[tuple[str, ...], ...]:
    rows = []
    for e in items:
        for r in e.records:
            if not (r.deviation or r.interrupted):
                continue
            deviation = f"{number(r.deviation_pct)}%" if r.deviation else ""
            stopped = _("%(m)s min", m=number(r.interruption_minutes)) if r.interrupted else ""
            reason = " / ".join(t for t in (r.deviation_reason, r.interruption_reason) if t)
            rows.append(
                (
                    e.subject.label,
                    _dose_name(r),
                    day_text(r.ec_date),
                    number(r.planned_dose),
                    number(r.given_dose),
                    deviation,
                    stopped,
                    reason,
                )
            )
    return tuple(rows)


def exposure_section(items: list[Exposure]) -> Section:
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
    blocks: list[Block] = [
        _summary_table(items),
        Para(_("Dose deviations and infusion interruptions"), "subheading"),
        Table(header, _event_rows(items), EVENT_WIDTHS, _("None recorded.")),
    ]
    return Section(_("Exposure to study drug"), tuple(blocks))
