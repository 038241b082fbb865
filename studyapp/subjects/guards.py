"""Loading a subject and the refusals every subject use-case shares."""

from __future__ import annotations

from flask_babel import gettext as _

from studyapp import versioning
from studyapp.auth.models import User
from studyapp.errors import Conflict, NotFound, ValidationFailed
from studyapp.extensions import db
from studyapp.permissions import Action, require
from studyapp.subjects.labels import label
from studyapp.subjects.models import Subject


def invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(_("Check the form."), field_errors={field: [message]})


def get_subject(actor: User, subject_id: int) -> Subject:
    require(actor, Action.VIEW_STUDY_DATA)
    subject = db.session.get(Subject, subject_id)
    if subject is None:
        raise NotFound(_("No such subject."))
    return subject


def check_version(subject: Subject, version: int | None) -> None:
    versioning.check_version(
        subject, version, _("Another user changed this subject while you were editing.")
    )


def require_consent(subject: Subject) -> None:
    """No study procedure other than screening registration before consent."""
    if not subject.consented:
        raise Conflict(
            _("Record informed consent first: no study procedure may be done before it.")
        )


def require_status(subject: Subject, *allowed: str) -> None:
    if subject.status not in allowed:
        raise Conflict(
            _(
                "Not possible for a subject whose status is %(s)s.",
                s=label("status", subject.status),
            )
        )
