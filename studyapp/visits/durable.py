"""Durable response on the subject page (``clinical.durable``, DOMAIN.md section 4 [P]).

Follow-up counts are those dated after the protocol's ``response.durable_after_visit`` (end of
treatment): after its recorded visit date, and never on or before its planned day (Day 57
itself is excluded, even for a visit done early in its window). Rescue days are those the ITP
response uses; the follow-up is over once the subject's disposition (end of study or early
termination) is recorded.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from studyapp.clinical.durable import DurableResponse, durable_response
from studyapp.clinical.schedule import study_day
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.subjects.models import Subject
from studyapp.visits import summary
from studyapp.visits.models import Medication, Visit
from studyapp.visits.schedule.service import require_enrolled


def after_day(subject: Subject, cutoff: date | None = None) -> int:
    """Study day after which counts are follow-up counts (the later of planned and recorded;
    a visit dated after *cutoff* is not recorded yet)."""
    day1 = require_enrolled(subject)
    code = get_protocol().response.durable_after_visit
    planned = get_protocol().visit(code).day
    assert planned is not None  # noqa: S101 - the protocol checks it is a planned visit
    done = db.session.scalar(
        select(Visit.visit_date).where(
            Visit.subject_id == subject.id, Visit.code == code, Visit.visit_date.is_not(None)
        )
    )
    if done is None or (cutoff is not None and done > cutoff):
        return planned
    return max(planned, study_day(day1, done))


def durable(
    subject: Subject,
    counts: list[summary.Count],
    rescue: list[Medication],
    *,
    cutoff: date | None = None,
) -> DurableResponse:
    """The subject's durable response from the page's counts and rescue therapies; with a
    *cutoff* (the safety report), as the data stood then (the caller cuts the counts)."""
    day1 = require_enrolled(subject)
    left = subject.disposition_date
    return durable_response(
        [(study_day(day1, c.on), c.value) for c in counts],
        [day for _med, day in summary.rescue_days(subject, rescue)],
        after_day=after_day(subject, cutoff),
        follow_up_over=subject.disposition is not None
        and (cutoff is None or (left is not None and left <= cutoff)),
        rule=get_protocol().response,
    )
