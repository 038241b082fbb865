"""A walk over every enrolled subject's visit calendar, a batch of subjects at a time.

The tracker, the form status matrix and the operational reports read the whole study this
way: memory holds one batch's calendars whatever the number of subjects, and each batch costs
the same few statements (the subjects, their visits, one per record model), never one per
subject.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy import select

from studyapp.extensions import db
from studyapp.subjects.models import ENROLLED, Subject
from studyapp.visits.models import Visit
from studyapp.visits.schedule import entered
from studyapp.visits.schedule.service import CalendarRow, calendar

#: Enrolled subjects read at a time.
BATCH = 200


def calendars(today: date) -> Iterator[tuple[Subject, list[CalendarRow]]]:
    """Each enrolled subject with a Day 1 and its calendar on *today* (planned, unscheduled and
    early-termination visits), in subject number order, ``BATCH`` subjects at a time."""
    ids = list(
        db.session.scalars(
            select(Subject.id)
            .where(
                Subject.status == ENROLLED,
                Subject.deleted_at.is_(None),
                Subject.day1_date.is_not(None),
            )
            .order_by(Subject.subject_number)
        )
    )
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        subjects = db.session.scalars(
            select(Subject).where(Subject.id.in_(chunk)).order_by(Subject.subject_number)
        ).all()
        recorded: dict[int, list[Visit]] = {i: [] for i in chunk}
        for visit in db.session.scalars(
            select(Visit).where(Visit.subject_id.in_(chunk), Visit.deleted_at.is_(None))
        ):
            recorded[visit.subject_id].append(visit)
        statuses = entered.form_statuses(subject_ids=chunk)
        for subject in subjects:
            yield subject, calendar(subject, today, recorded[subject.id], statuses)
