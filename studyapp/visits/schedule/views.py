"""Visit pages: the subject's casebook, a visit and its forms, the schedule, the tracker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from studyapp.crf import registry
from studyapp.db import site_today
from studyapp.permissions import Action, require
from studyapp.protocol.loader import get_protocol
from studyapp.subjects.queries import load_subject
from studyapp.visits import context, durable, interference, summary
from studyapp.visits.models import Visit
from studyapp.visits.pages import SUBJECT, VISIT, bp
from studyapp.visits.schedule import extra_visits, forms
from studyapp.visits.schedule import matrix as status_matrix
from studyapp.visits.schedule import service as schedule
from studyapp.visits.schedule import tracker as tracker_board
from studyapp.web import submissions
from studyapp.web.form_page import submit


@bp.route(SUBJECT + "/visits")
@login_required
def overview(subject_id: int) -> Any:
    """The casebook page: header, chart and response, latest values, the calendar."""
    subject = load_subject(subject_id)
    today = site_today()
    if subject.day1_date is None:
        return redirect(url_for("subjects.detail", subject_id=subject.id))
    rows = schedule.calendar(subject, today)
    info = summary.summary(subject, today)
    return render_template(
        "visits/overview.html",
        subject=subject,
        rows=rows,
        current=schedule.current_row(rows),
        info=info,
        durable=durable.durable(subject, info.counts, info.rescue),
        unscheduled=forms.UnscheduledForm(),
        today=today,
        interference=interference.of_subject(subject.id),
        hbv=interference.hbv_monitoring(subject.id),
        early_termination=extra_visits.early_termination(subject),
        has_early_termination=get_protocol().early_termination_visit is not None,
    )


@bp.route(SUBJECT + "/visits/due")
@login_required
def due(subject_id: int) -> Any:
    """Open the visit that is due (else the oldest overdue, else the next one)."""
    subject = load_subject(subject_id)
    if subject.day1_date is None:
        return redirect(url_for("subjects.detail", subject_id=subject.id))
    row = schedule.current_row(schedule.calendar(subject, site_today()))
    if row is None:
        return redirect(url_for("visits.overview", subject_id=subject.id))
    return redirect(url_for("visits.visit", subject_id=subject.id, visitnum=row.visitnum))


@bp.route(VISIT, methods=["GET", "POST"])
@login_required
def visit(subject_id: int, visitnum: str) -> Any:
    ctx = context.load(current_user, subject_id, visitnum)
    form = forms.VisitDateForm()
    if request.method == "GET":
        form.visit_date.data = ctx.visit.visit_date or site_today()
        form.version.data = ctx.visit.version
    outcome = submit(
        form,
        lambda: schedule.record_visit_date(
            current_user,
            subject_id,
            visitnum,
            form.visit_date.data,
            version=form.version.data,
            reason=form.reason.data,
        ),
        lambda _saved: request.path,
    )
    if outcome.redirect:
        return outcome.redirect
    return _visit_page(ctx, form, forms.NotDoneForm(), outcome.stale), outcome.status


def _visit_page(ctx: context.VisitContext, form: Any, not_done: Any, stale: Any = None) -> str:
    return render_template(
        "visits/visit.html",
        subject=ctx.subject,
        row=ctx.row,
        visit=ctx.visit,
        form=form,
        stale=stale,
        pages=registry.entries(ctx.row.forms),
        statuses=summary.form_statuses(ctx.visit),
        late=summary.late_entries(ctx.visit),
        not_done=not_done,
        day=schedule.day_of(ctx.subject, ctx.visit.visit_date),
        interference=interference.of_subject(ctx.subject.id),
        hbv=interference.hbv_monitoring(ctx.subject.id),
        early_termination=_is_early_termination(ctx.row.code),
    )


def _is_early_termination(code: str) -> bool:
    definition = get_protocol().early_termination_visit
    return definition is not None and definition.code == code


@bp.route(VISIT + "/not-done", methods=["POST"])
@login_required
def not_done(subject_id: int, visitnum: str) -> Any:
    return _declare(subject_id, visitnum, schedule.mark_not_done)


@bp.route(VISIT + "/undo-not-done", methods=["POST"])
@login_required
def undo_not_done(subject_id: int, visitnum: str) -> Any:
    return _declare(subject_id, visitnum, schedule.undo_not_done)


def _declare(subject_id: int, visitnum: str, service: Callable[..., Any]) -> Any:
    """Declare a visit not done, or withdraw that; refused: the visit page with the message."""
    form = forms.NotDoneForm()
    outcome = submit(
        form,
        lambda: service(current_user, subject_id, visitnum, form.reason.data or ""),
        lambda _done: url_for("visits.visit", subject_id=subject_id, visitnum=visitnum),
        saved_message=False,
    )
    if outcome.redirect:
        return outcome.redirect
    ctx = context.load(current_user, subject_id, visitnum)
    date_form = forms.VisitDateForm(formdata=None)
    date_form.visit_date.data = ctx.visit.visit_date or site_today()
    date_form.version.data = ctx.visit.version
    return _visit_page(ctx, date_form, form), outcome.status


@bp.route(SUBJECT + "/visits/unscheduled", methods=["GET", "POST"])
@login_required
def unscheduled(subject_id: int) -> Any:
    subject = load_subject(subject_id)
    require(current_user, Action.ENTER_DATA)
    form = forms.UnscheduledForm()
    created: list[Any] = []
    add = submissions.once(
        form,
        Visit,
        lambda made: url_for("visits.visit", subject_id=subject.id, visitnum=made.visitnum),
        lambda: created.append(
            extra_visits.add_unscheduled(
                current_user, subject.id, form.on.data, form.reason.data or ""
            )
        ),
    )
    outcome = submit(
        form,
        add,
        lambda _saved: url_for("visits.visit", subject_id=subject.id, visitnum=created[0].visitnum),
    )
    if outcome.redirect:
        return outcome.redirect
    return render_template("visits/unscheduled.html", subject=subject, form=form), outcome.status


@bp.route(SUBJECT + "/visits/early-termination", methods=["GET", "POST"])
@login_required
def early_termination(subject_id: int) -> Any:
    """Record the early-termination visit (once); its forms then open like any visit's."""
    subject = load_subject(subject_id)
    require(current_user, Action.ENTER_DATA)
    found = extra_visits.early_termination(subject)
    if found is not None:
        return redirect(url_for("visits.visit", subject_id=subject.id, visitnum=found.visitnum))
    form = forms.EarlyTerminationForm()
    if request.method == "GET":
        form.on.data = site_today()
    made: list[Any] = []
    add = submissions.once(
        form,
        Visit,
        lambda visit: url_for("visits.visit", subject_id=subject.id, visitnum=visit.visitnum),
        lambda: made.append(
            extra_visits.add_early_termination(
                current_user, subject.id, form.on.data, form.reason.data or ""
            )
        ),
    )
    outcome = submit(
        form,
        add,
        lambda _saved: url_for("visits.visit", subject_id=subject.id, visitnum=made[0].visitnum),
    )
    if outcome.redirect:
        return outcome.redirect
    page = render_template("visits/early_termination.html", subject=subject, form=form)
    return page, outcome.status


@bp.route("/visits/tracker")
@login_required
def tracker() -> Any:
    """All enrolled subjects by visit: due, overdue, missed, done, out of window."""
    wanted = request.args.get("show", "all")
    if wanted not in tracker_board.TRACKER_FILTERS:
        abort(400)
    today = site_today()
    return render_template(
        "visits/tracker.html",
        board=tracker_board.tracker(current_user, today, wanted),
        wanted=wanted,
        filters=tracker_board.TRACKER_FILTERS,
        today=today,
    )


def _matrix_filters() -> status_matrix.Filters:
    """The matrix filters of the query string; 400 for a value the matrix does not know."""
    filters = status_matrix.parse_filters(request.args)
    if filters is None:
        abort(400)
    return filters


@bp.route("/visits/matrix")
@login_required
def matrix() -> Any:
    """Every enrolled subject by visit, each cell the states of its required forms."""
    filters = _matrix_filters()
    today = site_today()
    return render_template(
        "visits/matrix.html",
        board=status_matrix.matrix(current_user, today, filters),
        filters=filters,
        visits=status_matrix.visit_choices(),
        pages=status_matrix.form_choices(),
        states=status_matrix.STATES,
        today=today,
    )
