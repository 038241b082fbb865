"""The subject's own pages: screening, consent, screening values, eligibility (with its
signature), prior therapies and history, enrolment and disposition; then every adverse event
record and every medication, each a record of its own."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from studyapp.auth.models import User
from studyapp.crf import registry
from studyapp.exports.casebook import records
from studyapp.exports.casebook.monitoring import Place
from studyapp.exports.casebook.records import Gather
from studyapp.extensions import db
from studyapp.reports.casebook_pdf import Grid, Record, Section, Value
from studyapp.safety.models import AdverseEvent, SaeReport
from studyapp.subjects.models import (
    SCREENING_FIELDS,
    EligibilityAnswer,
    MedicalHistory,
    PriorTherapy,
    Subject,
)
from studyapp.visits.models import Medication, Visit

SCREENING = ("screening_number", "screening_date", "initials", "sex", "age_years", "birth_year")
CONSENT = ("consent_date", "consent_time", "consent_version")
OUTCOME = ("screen_fail_reason", "screen_failed_criteria")
ENROLMENT = ("status", "subject_number", "enrolled_at", "day1_date", "run_in")
DISPOSITION = ("disposition", "disposition_date", "disposition_reason")
THERAPY = ("category", "name", "start_date", "stop_date", "best_response", "reason_stopped")
HISTORY = ("term", "start_date", "end_date", "ongoing")
SAE = ("kind", "number", "narrative", "submitted_at", "pdf_sha256")


def label(endpoint: str) -> str:
    """The registry's label of the page at *endpoint* (its form codes are the protocol's)."""
    for entry in registry.FORMS.values():
        if entry.endpoint == endpoint:
            return str(entry.label)
    raise KeyError(endpoint)


def sections(g: Gather, subject: Subject) -> list[Section]:
    return [
        Section(_("Subject"), tuple(_subject_pages(g, subject))),
        Section(label("safety.events"), tuple(_adverse_events(g, subject))),
        Section(label("visits.medications"), tuple(_medications(g, subject))),
    ]


def _page(g: Gather, subject: Subject, title: str, shown: tuple[str, ...], place: Place) -> Record:
    status, values = records.status(g, subject), records.values(g, subject, shown)
    return Record(title, status, values, monitoring=g.monitoring.line(place, "subject"))


def _subject_pages(g: Gather, subject: Subject) -> list[Record]:
    consent = _page(
        g, subject, label("subjects.consent"), CONSENT, Place(None, registry.CONSENT.key)
    )
    consent = Record(
        consent.title,
        consent.status,
        (*consent.values, _obtained_by(g, subject)),
        monitoring=consent.monitoring,
    )
    return [
        _page(g, subject, _("Screening"), SCREENING, Place(None, None)),  # subject queries
        consent,
        _page(
            g,
            subject,
            label("subjects.screening_data"),
            SCREENING_FIELDS,
            Place(None, registry.SCREENING.key),
        ),
        _eligibility(g, subject),
        *_history(g, subject),
        _page(g, subject, _("Enrolment"), ENROLMENT, Place(None, None, queries=False)),
        _page(
            g,
            subject,
            label("subjects.disposition"),
            DISPOSITION,
            Place(None, registry.DISPOSITION.key),
        ),
    ]


def _obtained_by(g: Gather, subject: Subject) -> Value:
    user_id = g.asof.value(subject, "consent_obtained_by_id")
    user = db.session.get(User, user_id) if user_id is not None else None
    name = g.labels.of("subject", "consent_obtained_by_id")
    return Value(name, user.full_name if user is not None else "")


def _eligibility(g: Gather, subject: Subject) -> Record:
    """The investigator's answers, the outcome and the signature of the eligibility page."""
    answers = _all(EligibilityAnswer, EligibilityAnswer.subject_id == subject.id)
    kept = [a for a in answers if g.asof.keeps(a)]
    texts = g.labels.table.get("eligibility_answer", {})
    rows = tuple((a.code, texts.get(a.code, ""), records.show_value(g, a, "answer")) for a in kept)
    header = (_("Criterion"), _("Text"), g.labels.of("eligibility_answer", "answer"))
    return Record(
        title=label("subjects.eligibility"),
        status=records.status(g, subject),
        values=records.values(g, subject, OUTCOME),
        grid=Grid(header, rows) if rows else None,
        signatures=records.signature_lines(g, "subject", str(subject.id)),
        monitoring=g.monitoring.line(Place(None, registry.ELIGIBILITY.key), "subject"),
    )


def _history(g: Gather, subject: Subject) -> list[Record]:
    therapies = _all(PriorTherapy, PriorTherapy.subject_id == subject.id)
    history = _all(MedicalHistory, MedicalHistory.subject_id == subject.id)
    page = Place(None, registry.HISTORY.key)
    return [
        Record(
            _("Prior ITP therapies"),
            _("recorded"),
            grid=records.grid(g, therapies, THERAPY),
            monitoring=g.monitoring.line(page, "prior_therapy"),
        ),
        Record(
            _("Medical history"),
            _("recorded"),
            grid=records.grid(g, history, HISTORY),
            monitoring=g.monitoring.line(
                Place(None, registry.HISTORY.key, queries=False), "medical_history"
            ),
        ),
    ]


def _adverse_events(g: Gather, subject: Subject) -> list[Record]:
    out = []
    for event in _all(AdverseEvent, AdverseEvent.subject_id == subject.id):
        if not g.asof.keeps(event):
            continue
        reports = _all(SaeReport, SaeReport.ae_id == event.id)
        title = f"{event.label}: {g.asof.value(event, 'aeterm')}"
        grid = records.grid(g, reports, SAE)
        out.append(
            records.record(
                g, event, title, place=Place(None, registry.EVENTS.key, False), grid=grid
            )
        )
    return out + _page_queries(g, Place(None, registry.EVENTS.key), "adverse_event")


def _page_queries(g: Gather, place: Place, table: str) -> list[Record]:
    """The queries of a list page (adverse events, medications), once, after its records."""
    threads = g.monitoring.threads(place, table)
    if not threads:
        return []
    title = (
        _("Queries on the page")
        if place.visitnum is None
        else _("Queries at visit %(v)s", v=place.visitnum)
    )
    return [Record(title, "—", monitoring=threads)]


def _medications(g: Gather, subject: Subject) -> list[Record]:
    rows = _all(Medication, Medication.subject_id == subject.id)
    found = select(Visit.id, Visit.visitnum).where(Visit.subject_id == subject.id)
    visits = dict(db.session.execute(found).tuples().all())
    out = []
    for med in rows:
        if g.asof.keeps(med):
            place = Place(visits.get(med.visit_id), registry.MEDICATIONS.key, queries=False)
            out.append(records.record(g, med, g.asof.value(med, "trt"), place=place))
    for visitnum in sorted(set(visits.values())):
        out += _page_queries(g, Place(visitnum, registry.MEDICATIONS.key), "medication")
    return out


def _all(model: Any, where: Any) -> list[Any]:
    return list(db.session.scalars(select(model).where(where).order_by(model.id)))
