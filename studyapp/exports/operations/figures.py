"""The charts of the operational reports: their numbers laid out by ``reports.bars`` and drawn
as inline SVG by ``reports.svg``, with every word translated here."""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from studyapp.exports.operations.compliance import STATUSES, Compliance
from studyapp.exports.operations.enrolment import Enrolment
from studyapp.exports.operations.missing import VisitForms
from studyapp.reports import bars, svg
from studyapp.subjects.labels import label


def _tip() -> str:
    return _("%(series)s, %(category)s: %(value)s")


def enrolment_chart(report: Enrolment) -> Markup:
    months = tuple(m.month for m in report.months)
    series = (
        bars.Series("screened", _("Screened"), tuple(m.screened_total for m in report.months)),
        bars.Series("enrolled", _("Enrolled"), tuple(m.enrolled_total for m in report.months)),
        bars.Series(
            "screen-failed",
            _("Screen failures"),
            tuple(m.screen_failed_total for m in report.months),
        ),
    )
    words = bars.Words(
        title=_("Enrolment over time"),
        desc=_(
            "By %(date)s: %(enrolled)d of %(target)d subjects enrolled; screened: %(screened)d;"
            " screen failures: %(failed)d.",
            date=report.as_of.isoformat(),
            enrolled=report.enrolled,
            target=report.target,
            screened=report.screened,
            failed=report.screen_failed,
        ),
        x_label=_("Month"),
        y_label=_("Subjects (cumulative)"),
        empty=_("No subject screened yet."),
        tip=_tip(),
    )
    target = (report.target, _("Target (%(n)d)", n=report.target))
    return svg.to_svg(bars.step_chart(months, series, words, target=target), id_prefix="enr")


def compliance_chart(report: Compliance) -> Markup:
    names = tuple(v.name for v in report.visits)
    series = tuple(
        bars.Series(
            status, label("visit_status", status), tuple(v.counts[status] for v in report.visits)
        )
        for status in STATUSES
    )
    done = sum(v.counts["done"] for v in report.visits)
    expected = sum(v.expected for v in report.visits)
    words = bars.Words(
        title=_("Visit compliance per visit"),
        desc=_(
            "By %(date)s: %(done)d of %(expected)d visits expected by then were done in window.",
            date=report.as_of.isoformat(),
            done=done,
            expected=expected,
        ),
        x_label=_("Subjects"),
        empty=_("No subject enrolled yet."),
        tip=_tip(),
    )
    return svg.to_svg(bars.stacked_bars(names, series, words), id_prefix="cmp")


def missing_chart(visits: list[VisitForms], as_of_text: str) -> Markup:
    report = [v for v in visits if v.done]  # the visits nobody has done yet have no bar
    names = tuple(v.name for v in report)
    missing = tuple(sum(len(g.missing) for g in v.forms) for v in report)
    drafts = tuple(sum(len(g.in_progress) for g in v.forms) for v in report)
    required = tuple(sum(g.done for g in v.forms) for v in report)
    complete = tuple(r - m - d for r, m, d in zip(required, missing, drafts, strict=True))
    series = (
        bars.Series("complete", _("saved complete"), complete),
        bars.Series("in-progress", _("in progress"), drafts),
        bars.Series("missing", _("missing"), missing),
    )
    words = bars.Words(
        title=_("Required forms at the visits done"),
        desc=_(
            "By %(date)s: %(missing)d required forms missing and %(drafts)d in progress"
            " at the visits done.",
            date=as_of_text,
            missing=sum(missing),
            drafts=sum(drafts),
        ),
        x_label=_("Forms"),
        empty=_("No visit done yet."),
        tip=_tip(),
    )
    return svg.to_svg(bars.stacked_bars(names, series, words), id_prefix="mis")
