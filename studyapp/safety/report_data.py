"""What an SAE report PDF holds, pulled from the CRFs: the event, the relevant lab values
(abnormal or graded results, and the platelet counts, from the protocol's
``safety.sae_lab_window_days`` before to as many days after onset), the concomitant
medications and the study drug given."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, select

from studyapp import codelists
from studyapp.auth.models import User
from studyapp.clinical import partial_dates
from studyapp.db import utcnow
from studyapp.extensions import db
from studyapp.formatting import plain_number
from studyapp.protocol.loader import get_protocol
from studyapp.reports.sae_pdf import Row, SaeReportData
from studyapp.safety.events import doses
from studyapp.safety.models import CRITERIA, SaeReport
from studyapp.safety.sae import Sae
from studyapp.subjects.labels import label
from studyapp.visits.labs.findings import disease_test
from studyapp.visits.labs.readings import unit_text
from studyapp.visits.medications import service as medications
from studyapp.visits.models import LabPanel, LabResult
from studyapp.web.filters import localtime


def event_rows(sae: Sae) -> tuple[tuple[str, str], ...]:
    ae = sae.record
    criteria = ", ".join(label("seriousness", c) for c in CRITERIA if getattr(ae, c))
    clock = sae.clocks[0] if sae.clocks else None
    return (
        (_("Adverse event"), f"{ae.label}: {ae.aeterm}"),
        (_("CTCAE v5.0 term"), ae.aedecod or ""),
        (_("System organ class"), ae.aesoc or ""),
        (_("Onset"), ae.start_date or ""),
        (_("End"), ae.end_date or (_("ongoing") if ae.ongoing else "")),
        (_("CTCAE grade"), str(ae.grade or "")),
        (_("Seriousness criteria"), criteria),
        (_("Relationship to daratumumab"), label("relatedness", ae.relatedness)),
        (_("Expected"), "" if ae.expected is None else (_("yes") if ae.expected else _("no"))),
        (_("Action taken"), label("acn", ae.aeacn)),
        (_("Outcome"), label("ae_outcome", ae.aeout)),
        (_("Treatment given"), ae.treatment or ""),
        (_("Site aware (local time)"), localtime(ae.aware_at)),
        (_("Report due"), localtime(clock.deadline) if clock else ""),
    )


def _onset(sae: Sae) -> date | None:
    text = sae.record.start_date
    return partial_dates.earliest(text) if text else None


def lab_rows(sae: Sae) -> tuple[Row, ...]:
    onset = _onset(sae)
    query = (
        select(LabResult, LabPanel.lb_date)
        .join(LabPanel, LabPanel.id == LabResult.panel_id)
        .where(
            LabResult.subject_id == sae.subject.id,
            LabResult.stresn.is_not(None),
            LabResult.deleted_at.is_(None),
            LabPanel.deleted_at.is_(None),
        )
        .order_by(LabPanel.lb_date, LabResult.testcd)
    )
    if onset is not None:
        window = timedelta(days=get_protocol().safety.sae_lab_window_days)
        query = query.where(LabPanel.lb_date >= onset - window, LabPanel.lb_date <= onset + window)
    query = query.where(
        or_(
            LabResult.testcd == disease_test(),
            LabResult.nrind.in_((codelists.LOW, codelists.HIGH)),
            LabResult.toxgr.is_not(None),
        )
    )
    protocol = get_protocol()
    rows = []
    for result, on in db.session.execute(query).all():
        test = protocol.lab(result.testcd)
        rows.append(
            Row(
                (
                    on.isoformat() if on else "",
                    test.name,
                    f"{plain_number(result.stresn)} {unit_text(result.stresu or '')}",
                    label("nrind", result.nrind),
                    str(result.toxgr or ""),
                )
            )
        )
    return tuple(rows)


def _dose_text(dose: object, unit: str | None) -> str:
    return " ".join(x for x in (plain_number(dose) if dose else "", unit or "") if x)


def med_rows(sae: Sae) -> tuple[Row, ...]:
    return tuple(
        Row(
            (
                m.medication.trt,
                _dose_text(m.medication.dose, m.medication.dose_unit),
                label("route", m.medication.route),
                m.medication.start_date or "",
                m.medication.end_date or (_("ongoing") if m.medication.ongoing else ""),
                m.medication.indication or "",
            )
        )
        for m in medications.listing(sae.subject)
    )


def dose_rows(sae: Sae) -> tuple[Row, ...]:
    return tuple(
        Row(
            (
                d.ec_date.isoformat() if d.ec_date else "",
                str(d.dose_number),
                f"{plain_number(d.given_dose)} {d.dose_unit or ''}" if d.given_dose else "",
                _("yes") if d.interrupted else _("no"),
            )
        )
        for d in doses(sae.subject)
    )


def build(sae: Sae, report: SaeReport, actor: User) -> SaeReportData:
    """The PDF content of *report* as the CRFs stand now; *actor* is named as the reporter:
    the user who submits it, or for a draft's preview the user who drafted it."""
    protocol = get_protocol()
    subject = sae.subject
    kind = _kind_text(report)
    return SaeReportData(
        title=_("Serious adverse event report: %(k)s", k=kind),
        study=f"{protocol.id}: {protocol.title}",
        site=protocol.site.name,
        subject=subject.label,
        sex=subject.sex or "",
        age=_("%(n)d years", n=subject.age_years) if subject.age_years is not None else "",
        report_kind=kind,
        event=event_rows(sae),
        narrative=report.narrative,
        labs_header=(_("Date"), _("Test"), _("Value"), _("Range"), _("CTCAE grade")),
        labs=lab_rows(sae),
        meds_header=(_("Drug"), _("Dose"), _("Route"), _("Start"), _("End"), _("Indication")),
        meds=med_rows(sae),
        doses_header=(_("Date"), _("Dose no."), _("Dose given"), _("Interrupted")),
        doses=dose_rows(sae),
        signed_by=_("Reporter: %(name)s", name=actor.full_name),
        generated_at=_("Generated %(t)s (site time)", t=localtime(utcnow())),
        labels=_labels(),
    )


def _kind_text(report: SaeReport) -> str:
    """The report's kind as printed, with its number for a follow-up ("Follow-up 2")."""
    kind = label("report_kind", report.kind)
    return f"{kind} {report.number}" if report.number else kind


def _labels() -> dict[str, str]:
    """The PDF's headings and captions, in the user's language."""
    window = get_protocol().safety.sae_lab_window_days
    return {
        "event": _("Event"),
        "narrative": _("Narrative"),
        "labs": _(
            "Platelet counts and abnormal laboratory values, %(a)d days before to %(b)d "
            "days after onset",
            a=window,
            b=window,
        ),
        "meds": _("Concomitant medications"),
        "doses": _("Study drug administrations"),
        "none": _("None recorded"),
        "page": _("Page %(n)d"),
        "study": _("Study"),
        "site": _("Site"),
        "subject": _("Subject"),
        "sex": _("Sex"),
        "age": _("Age"),
        "report_kind": _("Report"),
    }
