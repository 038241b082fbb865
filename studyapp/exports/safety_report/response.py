"""ITP response at the cut-off and each subject's platelet course.

The same computation as the subject page (``visits.summary``): its platelet counts, rescue
therapies and doses, cut at the cut-off, go through ``summary.assess`` (IWG 2009, the
protocol's rules) and ``summary.chart_drawing`` (the page's chart, the same geometry), drawn
in the PDF by ``reports.pdf_shapes``.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from studyapp.reports.charts import Chart
from studyapp.reports.safety_pdf import Block, Figure, Para, Section, Table
from studyapp.visits import durable, summary
from studyapp.visits.models import Medication

from .cutoff import Cut, SubjectAt, enrolled_at, number, percent

LEVELS = ("CR", "R", "NR")


@dataclass(frozen=True)
class Course:
    """One dosed subject's platelet course up to the cut-off (no chart: ``chart_of``)."""

    subject: SubjectAt
    counts: list[summary.Count]
    rescue: list[Medication]
    baseline: Any
    assessment: Any  # clinical.response.ResponseAssessment, None without a baseline
    durable: Any  # clinical.durable.DurableResponse at the cut-off


def course(s: SubjectAt, cut: Cut) -> Course:
    subject = s.subject
    counts = [c for c in summary.platelet_counts(subject) if cut.dated(c.on)]
    rescue = [m for m in summary.rescue_therapies(subject) if cut.partial(m.start_date)]
    assessment = summary.assess(subject, counts, rescue)
    base, _source = summary.baseline(subject, counts)
    lasting = durable.durable(subject, counts, rescue, cutoff=cut.day)
    return Course(s, counts, rescue, base, assessment, lasting)


def chart_of(item: Course, cut: Cut) -> Chart:
    """The subject page's platelet chart of the course, with the doses up to the cut-off."""
    subject = item.subject.subject
    given = [d for d in summary.doses(subject) if cut.dated(d.ec_date)]
    return summary.chart_drawing(subject, item.counts, item.assessment, item.rescue, given, cut.day)


def courses(cut: Cut) -> Iterator[Course]:
    """The enrolled subjects whose Day 1 is on or before the cut-off, one at a time."""
    return (course(s, cut) for s in enrolled_at(cut) if cut.dated(s.day1_date))


def _median_range(values: list[int]) -> str:
    if not values:
        return _("not reached")
    return _(
        "median %(m)s days (range %(lo)d-%(hi)d)",
        m=number(statistics.median(values)),
        lo=min(values),
        hi=max(values),
    )


def summary_rows(courses: Iterable[Course]) -> tuple[tuple[str, ...], ...]:
    """Best response counts with percentages of the dosed subjects, time to response,
    loss of response among the responders (R or CR) and durable response. *courses*: one per
    dosed subject, read once."""
    whole = assessed = lost = 0
    best: Counter[str] = Counter()
    lasting: Counter[str] = Counter()
    ttr: list[int] = []
    ttcr: list[int] = []
    for item in courses:
        a = item.assessment
        whole += 1
        lasting[item.durable.status] += 1
        if a is None:
            continue
        assessed += 1
        best[a.best_response] += 1
        if a.best_response in ("CR", "R"):
            lost += bool(a.loss_of_response)
            ttr += [a.time_to_response_days] if a.time_to_response_days is not None else []
            ttcr += [a.time_to_cr_days] if a.time_to_cr_days is not None else []
    responders = best["CR"] + best["R"]
    rows = [(_("Dosed subjects"), str(whole))]
    rows += [(_("Best response %(l)s", l=level), percent(best[level], whole)) for level in LEVELS]
    rows.append((_("Not assessable (no baseline count)"), percent(whole - assessed, whole)))
    rows.append((_("Overall response (CR or R)"), percent(responders, whole)))
    rows.append((_("Time to response"), _median_range(ttr)))
    rows.append((_("Time to complete response"), _median_range(ttcr)))
    rows.append((_("Loss of response (of the responders)"), percent(lost, responders)))
    rows.append((_("Durable response"), percent(lasting["yes"], whole)))
    rows.append((_("Durable response not yet assessable"), percent(lasting["not_yet"], whole)))
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


def _blocks(cut: Cut) -> Iterator[Block]:
    header = (
        _("Subject"),
        _("Baseline (x10^9/L)"),
        _("Best response"),
        _("Time to response (days)"),
        _("Time to CR (days)"),
        _("Loss of response"),
        _("Duration (days)"),
    )
    subjects: list[tuple[str, ...]] = []

    def assessed() -> Iterator[Course]:
        for item in courses(cut):
            subjects.append(_subject_row(item))
            yield item

    rows = summary_rows(assessed())
    yield Table((_("Response (IWG 2009)"), _("n (%)")), rows, (3, 2))
    yield Table(header, subjects, empty=_("No subject is dosed."))
    yield Para(_("+ : still responding at the last count (censored)."), "note")


def response_section(cut: Cut) -> Section:
    """Read when laid out: one pass over the dosed subjects for the counts, keeping each
    subject's row as text (computing the courses again would cost more time than the rows
    cost memory)."""
    return Section(_("ITP response"), _blocks(cut))


def _figures(cut: Cut, tally: dict[str, int]) -> Iterator[Block]:
    for item in courses(cut):
        tally["charts"] += 1
        yield Figure(item.subject.label, chart_of(item, cut))
    if not tally["charts"]:
        yield Para(_("No subject is dosed."), "note")


def chart_section(cut: Cut, tally: dict[str, int]) -> Section:
    """Read when laid out: each dosed subject's chart made when the layout reaches it and
    dropped once drawn, counted in ``tally["charts"]``."""
    return Section(_("Platelet course by subject"), _figures(cut, tally))
