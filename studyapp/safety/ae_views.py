"""The subject's adverse events: the list, the AE form (new and correction), the grade change,
the DLT decision and removal with a reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from studyapp.crf import registry
from studyapp.crf.forms import choices, completing
from studyapp.crf.status import Where, closure_at, where_of
from studyapp.db import site_zone
from studyapp.errors import NotFound, ValidationFailed
from studyapp.permissions import Action, require
from studyapp.protocol.loader import get_protocol
from studyapp.safety import ctcae, emergent, events, sae, tasks
from studyapp.safety.forms import AeForm, DltDecisionForm, GradeChangeForm, RemoveForm
from studyapp.safety.models import ACTIONS, CRITERIA, OUTCOMES, AdverseEvent
from studyapp.safety.views import bp
from studyapp.subjects.guards import get_subject
from studyapp.subjects.labels import label
from studyapp.subjects.urls import SUBJECT
from studyapp.visits.schedule.service import require_enrolled
from studyapp.web import submissions
from studyapp.web.form_page import submit
from studyapp.web.forms import query_int

AES = SUBJECT + "/adverse-events"
AE = AES + "/<int(max=2147483647):ae_id>"


def _form(obj: Any = None, *, formdata: bool = True) -> AeForm:
    form = AeForm(obj=obj) if formdata else AeForm(formdata=None, obj=obj)
    blank = [("", "—")]
    form.relatedness.choices = choices(
        blank + [(c, label("relatedness", c)) for c in get_protocol().safety.relatedness]
    )
    form.aeacn.choices = choices(blank + [(c, label("acn", c)) for c in ACTIONS])
    form.aeout.choices = choices(blank + [(c, label("ae_outcome", c)) for c in OUTCOMES])
    form.criteria.choices = choices([(c, label("seriousness", c)) for c in CRITERIA])
    return form


def _dose_choices(form: AeForm, subject: Any) -> None:
    form.dose_id.choices = choices(
        [("", "—")]
        + [
            (
                str(d.id),
                _("Dose %(n)d on %(d)s", n=d.dose_number, d=d.ec_date or "?")
                + (f" ({_('part %(p)d', p=d.part)})" if d.part > 1 else ""),
            )
            for d in events.doses(subject)
        ]
    )


def _aware_at(form: AeForm) -> datetime | None:
    """The awareness date and time typed in site time, as an aware datetime."""
    day, at = form.aware_date.data, form.aware_time.data
    if day is None:
        return None
    if at is None:
        form.aware_time.errors = [*form.aware_time.errors, _("Give the time (HH:MM).")]
        raise ValidationFailed(_("Check the form."))
    return datetime.combine(day, at, tzinfo=site_zone())


def _entry(form: AeForm) -> events.AeEntry:
    return events.AeEntry(
        aeterm=form.aeterm.data,
        ctcae_term=form.ctcae_term.data,
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        ongoing=bool(form.ongoing.data),
        grade=form.grade.data,
        serious=form.serious.data,
        criteria=frozenset(c for c in form.criteria.data or () if c),
        aware_at=_aware_at(form),
        relatedness=form.relatedness.data or None,
        expected=form.expected.data,
        aeacn=form.aeacn.data or None,
        aeout=form.aeout.data or None,
        treatment=form.treatment.data,
        irr=bool(form.irr.data),
        dose_id=form.dose_id.data,
    )


def _stored(record: AdverseEvent) -> AeForm:
    form = _form(obj=record, formdata=False)
    form.ctcae_term.data = record.aedecod
    form.grade.data = record.grade
    form.serious.data = record.aeser
    form.expected.data = record.expected
    form.criteria.data = [c for c in CRITERIA if getattr(record, c)]
    if record.aware_at is not None:
        local = record.aware_at.astimezone(site_zone())
        form.aware_date.data, form.aware_time.data = local.date(), local.time()
    return form


def _term_of(form: AeForm) -> ctcae.Term | None:
    return ctcae.load().find(form.ctcae_term.data or "")


@bp.route(AES, endpoint="events")
@login_required
def event_list(subject_id: int) -> Any:
    require(current_user, Action.VIEW_STUDY_DATA)
    subject = get_subject(current_user, subject_id)
    require_enrolled(subject)
    records = events.listing(subject)
    return render_template(
        "safety/events.html",
        subject=subject,
        records=records,
        emergence=emergent.of_records(subject, records),
        tasks=tasks.open_tasks(current_user, subject.id),
        saes=sae.saes(current_user, subject_id=subject.id),
    )


def _prefill(form: AeForm, subject: Any) -> None:
    """A new AE from a lab task (?result=) or an infusion (?dose=&irr=1)."""
    result = _result_param()
    task = None
    if result is not None:
        try:
            task = tasks.get_task(current_user, result)
        except NotFound:
            flash(_("That lab result has no open AE task any more."), "info")
    if task is not None and task.subject_id == subject.id:
        form.aeterm.data = task.term
        form.ctcae_term.data = task.term
        form.grade.data = task.grade
        form.start_date.data = task.on.isoformat() if task.on else None
    dose = query_int("dose")
    if dose is not None:
        form.irr.data = True
        form.dose_id.data = dose
        form.aeterm.data = _("Infusion-related reaction")
        form.ctcae_term.data = get_protocol().dlt.irr_term
        for d in events.doses(subject):
            if d.id == dose and d.ec_date:
                form.start_date.data = d.ec_date.isoformat()


def _result_param() -> int | None:
    """The lab result (?result=) whose AE task the new AE answers."""
    return query_int("result")


def _after_new(subject_id: int, record: AdverseEvent) -> str:
    """The AE list, or for a serious AE its SAE page (the clock)."""
    if record.aeser:
        return url_for("safety.sae_page", subject_id=subject_id, ae_id=record.id)
    return url_for("safety.events", subject_id=subject_id)


@bp.route(AES + "/new", methods=["GET", "POST"], endpoint="event_new")
@login_required
def event_new(subject_id: int) -> Any:
    require(current_user, Action.VIEW_STUDY_DATA)
    subject = get_subject(current_user, subject_id)
    require_enrolled(subject)
    if request.method == "POST":
        require(current_user, Action.RECORD_SAFETY)
    form = _form()
    _dose_choices(form, subject)
    if request.method == "GET":
        _prefill(form, subject)
    add = submissions.once(
        form,
        AdverseEvent,
        lambda made: _after_new(subject.id, made),
        lambda: events.add(
            current_user,
            subject.id,
            _entry(form),
            completing=completing(),
            confirmed=form.confirm.data,
            for_result=_result_param(),
        ),
    )
    outcome = submit(form, add, lambda made: _after_new(subject.id, made))
    if outcome.redirect:
        return outcome.redirect
    return render_template(
        "safety/event_form.html",
        subject=subject,
        record=None,
        form=form,
        term=_term_of(form),
        stale=None,
        closure=closure_at(Where(subject.id, form=registry.EVENTS.key)),
    ), outcome.status


def _edit_page(subject: Any, record: AdverseEvent, form: AeForm, status: int, **forms: Any) -> Any:
    grade = forms.get("grade") or GradeChangeForm(prefix="gc", formdata=None)
    dlt = forms.get("dlt") or DltDecisionForm(prefix="dlt", formdata=None)
    remove = forms.get("remove") or RemoveForm(prefix="rm", formdata=None)
    for f in (grade, dlt, remove):
        f.version.data = f.version.data or record.version
    return render_template(
        "safety/event_form.html",
        subject=subject,
        record=record,
        episode=events.episode(record),
        te=emergent.emergence(subject, record),
        form=form,
        term=_term_of(form),
        grade_form=grade,
        dlt_form=dlt,
        remove=remove,
        stale=forms.get("stale"),
        closure=closure_at(where_of(record)),
    ), status


@bp.route(AE, methods=["GET", "POST"], endpoint="event_edit")
@login_required
def event_edit(subject_id: int, ae_id: int) -> Any:
    subject, record = events.get(current_user, subject_id, ae_id)
    if request.method == "POST":
        require(current_user, Action.RECORD_SAFETY)
    form = _stored(record) if request.method == "GET" else _form()
    _dose_choices(form, subject)
    outcome = submit(
        form,
        lambda: events.update(
            current_user,
            subject.id,
            record.id,
            _entry(form),
            version=form.version.data,
            reason=form.reason.data,
            completing=completing(),
            confirmed=form.confirm.data,
        ),
        lambda _saved: url_for("safety.events", subject_id=subject.id),
    )
    if outcome.redirect:
        return outcome.redirect
    return _edit_page(subject, record, form, outcome.status, stale=outcome.stale)


def _side_action(subject_id: int, ae_id: int, form: Any, key: str, action: Any) -> Any:
    """POST of one of the AE page's side forms (grade change, DLT decision, removal)."""
    subject, record = events.get(current_user, subject_id, ae_id)
    outcome = submit(
        form,
        lambda: action(subject, record),
        lambda done: done,
        saved_message=False,
        stale_on_form=True,
    )
    if outcome.redirect:
        return outcome.redirect
    subject, record = events.get(current_user, subject_id, ae_id)
    return _edit_page(subject, record, _stored(record), outcome.status, **{key: form})


@bp.route(AE + "/grade", methods=["POST"], endpoint="event_grade")
@login_required
def event_grade(subject_id: int, ae_id: int) -> Any:
    require(current_user, Action.RECORD_SAFETY)
    form = GradeChangeForm(prefix="gc")

    def change(subject: Any, record: AdverseEvent) -> str:
        new = events.change_grade(
            current_user,
            subject.id,
            record.id,
            grade=form.grade.data,
            on=form.on.data,
            version=form.version.data,
            expected=form.expected.data,
        )
        flash(
            _(
                "Grade change recorded: %(ae)s ended, %(new)s started.",
                ae=record.label,
                new=new.label,
            ),
            "success",
        )
        return url_for("safety.event_edit", subject_id=subject.id, ae_id=new.id)

    return _side_action(subject_id, ae_id, form, "grade", change)


@bp.route(AE + "/dlt", methods=["POST"], endpoint="event_dlt")
@login_required
def event_dlt(subject_id: int, ae_id: int) -> Any:
    require(current_user, Action.REVIEW_DLT)
    form = DltDecisionForm(prefix="dlt")

    def decide(subject: Any, record: AdverseEvent) -> str:
        events.decide_dlt(
            current_user,
            subject.id,
            record.id,
            decision=form.decision.data,
            reason=form.dlt_reason.data,
            version=form.version.data,
        )
        flash(_("DLT decision recorded."), "success")
        return url_for("safety.event_edit", subject_id=subject.id, ae_id=record.id)

    return _side_action(subject_id, ae_id, form, "dlt", decide)


@bp.route(AE + "/remove", methods=["POST"], endpoint="event_remove")
@login_required
def event_remove(subject_id: int, ae_id: int) -> Any:
    require(current_user, Action.RECORD_SAFETY)
    form = RemoveForm(prefix="rm")

    def remove(subject: Any, record: AdverseEvent) -> str:
        events.remove(
            current_user, subject.id, record.id, form.reason.data, version=form.version.data
        )
        flash(_("Adverse event removed (kept in the audit trail)."), "success")
        return url_for("safety.events", subject_id=subject.id)

    return _side_action(subject_id, ae_id, form, "remove", remove)
