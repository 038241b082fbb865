"""What the subject page shows: study day, run-in, latest values, platelet chart and response.

Response comes from ``clinical.response`` (IWG 2009, the protocol's operational rules): the
baseline is the Day 1 pre-dose count (else the last count on or before Day 1, else the
screening count); counts after Day 1 are assessed; bleeding is the WHO grade of the same
visit; rescue therapy (CM category RESCUE) with a full start date makes later counts not
evaluable for the protocol's exclusion window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import func, select

from studyapp.clinical import response as rules
from studyapp.clinical.schedule import date_of_day, study_day
from studyapp.crf import registry
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.reports import charts, svg
from studyapp.subjects.models import Subject
from studyapp.visits.models import (
    RESCUE,
    BleedingAssessment,
    DoseAdministration,
    LabPanel,
    LabResult,
    Medication,
    Visit,
    VitalSigns,
)
from studyapp.visits.schedule.service import require_enrolled


@dataclass(frozen=True)
class Count:
    """A platelet count with its sample date and the WHO bleeding grade of its visit."""

    on: date
    value: Decimal
    visit_id: int
    visitnum: str
    who_grade: int | None


@dataclass
class Summary:
    day: int | None
    run_in: dict[str, Any]
    baseline: Decimal | None
    baseline_source: str | None
    counts: list[Count]
    assessment: rules.ResponseAssessment | None
    rescue: list[Medication]
    doses: list[DoseAdministration]
    latest_vitals: VitalSigns | None
    latest_labs: list[tuple[LabResult, date | None]]
    chart: Markup


def platelet_counts(subject: Subject) -> list[Count]:
    rows = db.session.execute(
        select(LabPanel.lb_date, LabResult.stresn, Visit.id, Visit.visitnum)
        .join(LabPanel, LabPanel.id == LabResult.panel_id)
        .join(Visit, Visit.id == LabResult.visit_id)
        .where(
            LabResult.subject_id == subject.id,
            LabResult.testcd == get_protocol().response.platelet_test,
            LabResult.stresn.is_not(None),
            LabResult.deleted_at.is_(None),
            LabPanel.deleted_at.is_(None),
            LabPanel.lb_date.is_not(None),
        )
    ).all()
    grades = dict(
        db.session.execute(
            select(BleedingAssessment.visit_id, BleedingAssessment.who_grade).where(
                BleedingAssessment.subject_id == subject.id,
                BleedingAssessment.deleted_at.is_(None),
            )
        ).all()
    )
    counts = [Count(on, Decimal(v), vid, num, grades.get(vid)) for on, v, vid, num in rows]
    counts.sort(key=lambda c: (c.on, Decimal(c.visitnum)))
    return counts


def rescue_therapies(subject: Subject) -> list[Medication]:
    return list(
        db.session.scalars(
            select(Medication)
            .where(
                Medication.subject_id == subject.id,
                Medication.category == RESCUE,
                Medication.deleted_at.is_(None),
            )
            .order_by(Medication.start_date)
        )
    )


def rescue_days(subject: Subject, rescue: list[Medication]) -> list[tuple[Medication, int]]:
    """The rescue therapies that have a full start date, with the study day they started."""
    day1 = require_enrolled(subject)
    return [
        (med, study_day(day1, date.fromisoformat(med.start_date)))
        for med in rescue
        if med.start_date and len(med.start_date) == 10
    ]


def baseline(subject: Subject, counts: list[Count]) -> tuple[Decimal | None, str | None]:
    require_enrolled(subject)
    before = [c for c in counts if c.on <= subject.day1_date]
    if before:
        chosen = before[-1]
        return chosen.value, _("count of %(d)s", d=chosen.on.isoformat())
    if subject.platelet_count is not None:
        return Decimal(subject.platelet_count), _("screening count")
    return None, None


def assess(subject: Subject, counts: list[Count], rescue: list[Medication]) -> Any:
    """The IWG response assessment, or None without a baseline count."""
    require_enrolled(subject)
    base, _source = baseline(subject, counts)
    if base is None:
        return None
    rule = get_protocol().response
    after = [
        rules.PlateletCount(
            study_day(subject.day1_date, c.on),
            c.value,  # type: ignore[arg-type]
            rules.is_bleeding(c.who_grade, rule) if c.who_grade is not None else False,
        )
        for c in counts
        if c.on > subject.day1_date
    ]
    return rules.assess(base, after, [day for _med, day in rescue_days(subject, rescue)], rule=rule)  # type: ignore[arg-type]


def doses(subject: Subject) -> list[DoseAdministration]:
    return list(
        db.session.scalars(
            select(DoseAdministration)
            .where(
                DoseAdministration.subject_id == subject.id,
                DoseAdministration.deleted_at.is_(None),
                DoseAdministration.ec_date.is_not(None),
            )
            .order_by(DoseAdministration.ec_date, DoseAdministration.part)
        )
    )


def latest_vitals(subject: Subject) -> VitalSigns | None:
    return db.session.scalars(
        select(VitalSigns)
        .where(VitalSigns.subject_id == subject.id, VitalSigns.deleted_at.is_(None))
        .order_by(VitalSigns.vs_date.desc(), VitalSigns.id.desc())
    ).first()


def latest_labs(subject: Subject) -> list[tuple[LabResult, date | None]]:
    """The latest result of each test, in the protocol's test order."""
    rows = db.session.execute(
        select(LabResult, LabPanel.lb_date)
        .join(LabPanel, LabPanel.id == LabResult.panel_id)
        .where(
            LabResult.subject_id == subject.id,
            LabResult.deleted_at.is_(None),
            LabResult.orres.is_not(None),
            LabPanel.deleted_at.is_(None),
            LabPanel.lb_date.is_not(None),
        )
        .order_by(LabPanel.lb_date, LabResult.id)
    ).all()
    latest: dict[str, tuple[LabResult, date | None]] = {}
    for result, on in rows:
        latest[result.testcd] = (result, on)
    order = [lab.testcd for lab in get_protocol().labs]
    return [latest[code] for code in order if code in latest]


def run_in_info(subject: Subject, day: int | None) -> dict[str, Any]:
    rule = get_protocol().run_in
    require_enrolled(subject)
    last = date_of_day(subject.day1_date, rule.dlt_window_last_day)
    return {
        "cohort": subject.run_in,
        "in_window": bool(
            subject.run_in
            and day is not None
            and rule.dlt_window_first_day <= day <= rule.dlt_window_last_day
        ),
        "window_end": last,
        "window_last_day": rule.dlt_window_last_day,
    }


def _points(day1: date, counts: list[Count], assessment: Any) -> list[charts.CountPoint]:
    levels = {c.day: c.level for c in assessment.counts} if assessment else {}
    return [
        charts.CountPoint(
            study_day(day1, c.on),
            c.value,
            levels.get(study_day(day1, c.on)) if c.on > day1 else None,
        )
        for c in counts
    ]


def _markers(
    subject: Subject, day1: date, rescue: list[Medication], given: list[DoseAdministration]
) -> list[charts.Marker]:
    markers = [
        charts.Marker(study_day(day1, d.ec_date), "dose", _("Dose %(n)d", n=d.dose_number))
        for d in given
        if d.ec_date is not None
    ]
    markers += [
        charts.Marker(day, "rescue", _("Rescue: %(t)s", t=med.trt))
        for med, day in rescue_days(subject, rescue)
    ]
    return markers


def _words() -> charts.ChartText:
    """Every word of the chart in the user's language (templates stay unformatted here)."""
    return charts.ChartText(
        title=_("Platelet count (x10^9/L) by study day"),
        x_label=_("Study day"),
        y_label=_("Platelets (x10^9/L)"),
        empty=_("No platelet counts yet."),
        summary=_(
            "%(count)d counts from day %(first)d to day %(last)d;"
            " last %(value)s x10^9/L on day %(last)d"
        ),
        point_tip=_("Day %(day)d: %(value)s x10^9/L (%(level)s)"),
        marker_tip=_("Day %(day)d: %(label)s"),
        legend={
            "baseline": _("Baseline"),
            "NE": _("NE (rescue window)"),
            "dose": _("Dose"),
            "rescue": _("Rescue therapy"),
        },
    )


def chart(
    subject: Subject,
    counts: list[Count],
    assessment: Any,
    rescue: list[Medication],
    given: list[DoseAdministration],
    today: date,
) -> Markup:
    """The platelet chart as inline SVG."""
    return svg.to_svg(chart_drawing(subject, counts, assessment, rescue, given, today))


def chart_drawing(
    subject: Subject,
    counts: list[Count],
    assessment: Any,
    rescue: list[Medication],
    given: list[DoseAdministration],
    today: date,
) -> charts.Chart:
    """The platelet chart's geometry: the page draws it as SVG, the safety report PDF with
    ReportLab (``reports.pdf_shapes``), from the same inputs."""
    day1 = require_enrolled(subject)
    rule = get_protocol().response
    thresholds = [
        charts.Threshold(rule.r_threshold, _("%(v)s: response threshold", v=rule.r_threshold)),
        charts.Threshold(rule.cr_threshold, _("%(v)s: complete response", v=rule.cr_threshold)),
    ]
    dosing = get_protocol().dosing
    shown_to = max(dosing.dose_days[-1] + dosing.interval_days, study_day(day1, today))
    return charts.platelet_chart(
        _points(day1, counts, assessment),
        _markers(subject, day1, rescue, given),
        thresholds,
        _words(),
        min_last_day=shown_to,
    )


def summary(subject: Subject, today: date) -> Summary:
    require_enrolled(subject)
    day = study_day(subject.day1_date, today)
    counts = platelet_counts(subject)
    rescue = rescue_therapies(subject)
    assessment = assess(subject, counts, rescue)
    given = doses(subject)
    base, source = baseline(subject, counts)
    return Summary(
        day=day,
        run_in=run_in_info(subject, day),
        baseline=base,
        baseline_source=source,
        counts=counts,
        assessment=assessment,
        rescue=rescue,
        doses=given,
        latest_vitals=latest_vitals(subject),
        latest_labs=latest_labs(subject),
        chart=chart(subject, counts, assessment, rescue, given, today),
    )


def late_entries(visit: Visit) -> dict[str, int]:
    """Form pages first saved more than LATE_ENTRY_DAYS after the visit: days late (GCP-01).

    The clinical date stays as entered; the system entry time is the row's ``created_at``,
    compared in the site's calendar.
    """
    if visit.id is None or visit.visit_date is None:
        return {}
    limit = current_app.config["LATE_ENTRY_DAYS"]
    zone = ZoneInfo(current_app.config["SITE_TIMEZONE"])
    out = {}
    for key, model in registry.visit_records():
        rows = _rows_of(model, key, visit)
        first = db.session.scalar(select(func.min(model.created_at)).where(*rows))
        if first is None:
            continue
        if first.tzinfo is None:  # SQLite through an aggregate: the stored UTC text
            first = first.replace(tzinfo=UTC)
        days = (first.astimezone(zone).date() - visit.visit_date).days
        if days > limit:
            out[key] = days
    return out


def form_statuses(visit: Visit) -> dict[str, str]:
    """Status of each form page of a visit that has data, by page key."""
    if visit.id is None:
        return {}
    out: dict[str, str] = {}
    for key, model in registry.visit_records():
        rows = _rows_of(model, key, visit)
        status = db.session.scalar(select(model.status).where(*rows).limit(1))
        if status:
            out[key] = status
    meds = db.session.scalar(
        select(Medication.id)
        .where(Medication.visit_id == visit.id, Medication.deleted_at.is_(None))
        .limit(1)
    )
    if meds is not None:
        out["CM"] = "recorded"
    return out


def _rows_of(model: Any, key: str, visit: Visit) -> list[Any]:
    """The conditions of a form's records at a visit (a model shared by several form codes,
    such as the lab panel, tells them apart by its ``form`` column)."""
    conditions = [model.visit_id == visit.id, model.deleted_at.is_(None)]
    if hasattr(model, "form"):
        conditions.append(model.form == key)
    return conditions
