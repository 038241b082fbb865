"""ITP response at the cut-off and each subject's platelet course.

The same computation as the subject page (``visits.summary``): its platelet counts, rescue
therapies and doses, cut at the cut-off, go through ``summary.assess`` (IWG 2009, the
protocol's rules) and ``summary.chart_drawing`` (the page's chart, the same geometry), drawn
in the PDF by ``reports.pdf_shapes``.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from studyapp.reports.charts import Chart
from studyapp.reports.safety_pdf import Block, Figure, Para, Section, Table
from studyapp.visits import summary

from .cutoff import Cut, SubjectAt, number, percent

LEVELS = ("CR", "R", "NR")


@dataclass(frozen=True)
class Course:
    """One dosed subject's platelet course up to the cut-off."""

    subject: SubjectAt
    baseline: Any
    assessment: Any  # clinical.response.ResponseAssessment, None without a baseline
    chart: Chart


def course(s: SubjectAt, cut: Cut) -> Course:
    subject = s.subject
    counts = [c for c in summary.platelet_counts(subject) if cut.dated(c.on)]
    rescue = [m for m in summary.rescue_therapies(subject) if cut.partial(m.start_date)]
    given = [d for d in summary.doses(subject) if cut.dated(d.ec_date)]
    assessment = summary.assess(subject, counts, rescue)
    base, _source = summary.baseline(subject, counts)
    drawing = summary.chart_drawing(subject, counts, assessment, rescue, given, cut.day)
    return Course(s, base, assessment, drawing)


def courses(subjects: list[SubjectAt], cut: Cut) -> list[Course]:
    """The enrolled subjects whose Day 1 is on or before the cut-off."""
    return [course(s, cut) for s in subjects if s.enrolled and cut.dated(s.day1_date)]


def _median_range(values: list[int]) -> str:
    if not values:
        return _("not reached")
    return _(
        "median %(m)s days (range %(lo)d-%(hi)d)",
        m=number(statistics.median(values)),
        lo=min(values),
        hi=max(values),
    )


def summary_rows(items: list[Course]) -> tuple[tuple[str, ...], ...]:
    """Best response counts with percentages of the dosed subjects, time to response and
    loss of response among the responders (R or CR)."""
    assessed = [c.assessment for c in items if c.assessment is not None]
    best = Counter(a.best_response for a in assessed)
    whole = len(items)
    responders = [a for a in assessed if a.best_response in ("CR", "R")]
    rows = [(_("Dosed subjects"), str(whole))]
    rows += [(_("Best response %(l)s", l=level), percent(best[level], whole)) for level in LEVELS]
    rows.append((_("Not assessable (no baseline count)"), percent(whole - len(assessed), whole)))
    rows.append((_("Overall response (CR or R)"), percent(len(responders), whole)))
    ttr = [a.time_to_response_days for a in responders if a.time_to_response_days is not None]
    ttcr = [a.time_to_cr_days for a in responders if a.time_to_cr_days is not None]
    rows.append((_("Time to response"), _median_range(ttr)))
    rows.append((_("Time to complete response"), _median_range(ttcr)))
    lost = sum(1 for a in responders if a.loss_of_response)
    rows.append((_("Loss of response (of the responders)"), percent(lost, len(responders))))
    return tuple(rows)


def _subject_row(item: Course) -> tuple[str, ...]:
    a = item.assessment
    if a is None:
        return (item.subject.label, number(item.baseline), _("not assessable"), "", "", "", "")
    duration = number(a.duration_of_response_days)
    if duration and a.duration_censored:
        duration += " +"
    return (
        item.subject.label,
        number(item.baseline),
        a.best_response,
        number(a.time_to_response_days),
        number(a.time_to_cr_days),
        _("day %(d)d", d=a.loss_of_response_day) if a.loss_of_response else "",
        duration,
    )


def response_section(items: list[Course]) -> Section:
    header = (
        _("Subject"),
        _("Baseline (x10^9/L)"),
        _("Best response"),
        _("Time to response (days)"),
        _("Time to CR (days)"),
        _("Loss of response"),
        _("Duration (days)"),
    )
    blocks: list[Block] = [
        Table((_("Response (IWG 2009)"), _("n (%)")), summary_rows(items), (3, 2)),
        Table(header, tuple(_subject_row(c) for c in items), empty=_("No subject is dosed.")),
        Para(_("+ : still responding at the last count (censored)."), "note"),
    ]
    return Section(_("ITP response"), tuple(blocks))


def chart_section(items: list[Course]) -> Section:
    blocks: list[Block] = [Figure(c.subject.label, c.chart) for c in items]
    if not blocks:
        blocks = [Para(_("No subject is dosed."), "note")]
    return Section(_("Platelet course by subject"), tuple(blocks))
