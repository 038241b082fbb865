"""The one save sequence of every CRF form, and the one removal of a CRF record.

Every form's service describes its form once (``FormWrite``: how to find the stored record,
check the values, make a new record and write the values) and hands it to ``save_record``,
which runs the same steps in the same order for every form:

1. load the stored record (None before the first save);
2. may the actor change it now (permission, then the record's status and any freeze or lock
   covering it: ``status.may_change``; a new record is checked for a freeze or lock once made);
3. is the form based on the stored version (``versioning.check_version``; 409 otherwise, with
   the stored values, the form's child rows included);
4. the edit checks (errors refuse, unconfirmed warnings ask for confirmation);
5. make the record when new, set the reason for change (audited), the confirmed warnings
   and the status, then write the values;
6. tell monitoring the fields a save changed on a stored record (``record_changed``: a changed
   verified field loses its verification), and ask which open queries on them this save
   answers (``changes_answer``); the reason for change then names them (GCP-10);
7. flush: the audit hook refuses a changed saved value without a reason, here. Never commit:
   the edge (the web request, a CLI command) commits once;
8. raise a query on each unusual value the user confirmed (``warnings_confirmed``), then
   tell the signatures over the subject's content (``CONTENT_CHANGED``) that it moved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask_babel import gettext as _
from sqlalchemy import inspect

from studyapp.audit import set_reason
from studyapp.crf.checks import EditChecks
from studyapp.crf.status import check_open, may_change, status_for, where_of
from studyapp.db import AuditedMixin
from studyapp.errors import StaleVersion, ValidationFailed
from studyapp.extensions import db
from studyapp.hooks import Hook
from studyapp.permissions import Action
from studyapp.privacy import check_free_text
from studyapp.versioning import check_version

R = TypeVar("R")

#: The open queries on the fields of *record* this save changed become answered, each with a
#: message naming the old and new value and the reason (args: actor, record, reason); the
#: ids of those queries. Answered by monitoring, which sits above the CRF core.
changes_answer: Hook[[Any, Any, str | None], list[int]] = Hook(
    "changes_answer", "studyapp.monitoring.queries.answers"
)

#: The unusual values a save confirmed (args: actor, the flushed record, field -> the edit
#: checks' warnings, the columns this save changed or None for a new record): monitoring
#: raises a query on each for the monitor to check against the source (GCP-10).
warnings_confirmed: Hook[[Any, Any, dict[str, list[str]], frozenset[str] | None], None] = Hook(
    "warnings_confirmed", "studyapp.monitoring.queries.auto"
)

#: A record of the subject (its id given) was saved or removed: the casebook sign-offs whose
#: signed content changed stop applying (P11-14). Answered by the monitoring package.
CONTENT_CHANGED: Hook[[int], object] = Hook("crf.content_changed", "studyapp.monitoring.signoff")

#: A record was saved or removed, flushed (args: the record): the safety package weighs the
#: subject's adverse events again when a lab draw or a bleeding assessment moved (a DLT by
#: Hy's law or by WHO grade 3 bleeding can be met by a finding entered after the AE).
findings_saved: Hook[[Any], None] = Hook("crf.findings_saved", "studyapp.safety.dlt_inputs")

#: After a save wrote its values on a stored record: (actor, record, the changed columns).
#: Monitoring answers: a changed field a monitor had verified loses its verification (SDV).
record_changed: Hook[[Any, Any, frozenset[str]], None] = Hook(
    "record_changed", "studyapp.monitoring.sdv.services"
)


@dataclass(frozen=True)
class Submission:
    """What every CRF save carries besides the form's values."""

    #: The version of the record the form was opened on (None: not sent; 0: a first save).
    version: int | None = None
    #: The reason for change; required by the audit hook when a saved value changes.
    reason: str | None = None
    #: False for "save as draft": required fields are not checked, the status stays in progress.
    completing: bool = True
    #: The user confirmed the unusual values the edit checks warned about.
    confirmed: bool = False


@dataclass
class FormWrite(Generic[R]):
    """How one form is saved: the steps ``save_record`` calls, in its order."""

    #: The stored record, or None before the first save.
    load: Callable[[], R | None]
    #: The edit checks; what they return (parsed values) is handed to ``apply``.
    check: Callable[[EditChecks], Any]
    #: A new record (added to the session), for the first save.
    create: Callable[[], R]
    #: Write the checked values on the record (and its child rows; flush when they need ids).
    apply: Callable[[R, Any], None]
    #: The permission a change needs.
    action: Action = Action.ENTER_DATA
    #: Extra stored values for the 409 page (child rows guarded by the record's version).
    stale_values: Callable[[R], dict[str, Any]] | None = None


def save_record(actor: Any, write: FormWrite[R], submission: Submission) -> R:
    """Save one form through the one sequence; returns the record, flushed, not committed.

    Raises PermissionDenied (403), Conflict (409: a frozen or locked record, or a rule of the
    form), StaleVersion (409), VersionMissing (400), ValidationFailed or NeedsConfirmation
    (422) and ReasonRequired (422, a changed saved value without a reason).
    """
    record = write.load()
    may_change(actor, record, write.action)
    _check_version(write, record, submission.version)
    checks = EditChecks(completing=submission.completing)
    found = write.check(checks)
    warnings = checks.finish(submission.confirmed)
    target = record if record is not None else write.create()
    if record is None:
        check_open(where_of(target))
    set_reason(submission.reason)
    target.confirmed_warnings = warnings  # type: ignore[attr-defined]
    target.status = status_for(submission.completing)  # type: ignore[attr-defined]
    with db.session.no_autoflush:  # one UPDATE per save: the version moves by one
        write.apply(target, found)
        changed = changed_columns(record) if record is not None else None
        if record is not None:
            record_changed(actor, record, changed)
        answered = changes_answer(actor, target, submission.reason) if record else []
    if answered and submission.reason:  # the trail links the change to the queries (GCP-10)
        set_reason(f"{submission.reason} [query {', '.join(f'#{i}' for i in answered)}]")
    db.session.flush()
    if checks.warnings:
        warnings_confirmed(actor, target, dict(checks.warnings), changed)
    findings_saved(target)
    CONTENT_CHANGED(target.subject_id)  # type: ignore[attr-defined]
    return target


def changed_columns(record: Any) -> frozenset[str]:
    """The columns of *record* whose value the session has changed and not yet flushed."""
    state = inspect(record)
    return frozenset(
        attr.key
        for attr in state.mapper.column_attrs
        if state.attrs[attr.key].history.has_changes()
    )


def _check_version(write: FormWrite[R], record: R | None, version: int | None) -> None:
    try:
        check_version(record, version)  # type: ignore[arg-type]
    except StaleVersion as exc:
        if write.stale_values is not None and record is not None:
            exc.current.update(write.stale_values(record))
        raise


def remove_record(
    actor: Any,
    record: Any,
    *,
    version: int | None,
    reason: str | None,
    missing: str,
    action: Action = Action.ENTER_DATA,
    before: Callable[[], None] | None = None,
) -> None:
    """Soft delete a CRF record with its reason (*missing*: the message when there is none);
    the row stays in the table and the audit trail (P11-03). *before*: the form's own reasons
    to refuse, checked after the version."""
    may_change(actor, record, action)
    check_version(record, version)
    if before is not None:
        before()
    remove_with_reason(record, reason, missing)
    db.session.flush()
    findings_saved(record)
    CONTENT_CHANGED(record.subject_id)


def remove_with_reason(record: AuditedMixin, reason: str | None, missing: str) -> None:
    """Soft delete with its reason (*missing*: the message when there is none); the row stays
    in the table and the audit trail (P11-03)."""
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed(_("Check the form."), field_errors={"reason": [missing]})
    check_free_text({"reason": text})
    record.soft_delete(text)
