"""The dosing page (protocol forms EC and PREMED): planned and given dose, infusion, premeds."""

from __future__ import annotations

from typing import Any

from flask import abort, request
from flask_login import current_user, login_required

from studyapp.crf import registry
from studyapp.db import site_today
from studyapp.permissions import Action, require
from studyapp.protocol.loader import get_protocol
from studyapp.visits import context
from studyapp.visits.dosing import checks as dose_checks
from studyapp.visits.dosing import plan as dose_plan
from studyapp.visits.dosing import service as dosing
from studyapp.visits.dosing.forms import DoseForm, label_premeds
from studyapp.visits.pages import VISIT, bp, next_url, render_crf, save_options
from studyapp.visits.schedule.service import visitnum_text
from studyapp.web.form_page import Outcome, submit


def _entry(form: DoseForm) -> dose_checks.DoseEntry:
    steps = []
    for n in range(1, dose_checks.RATE_STEP_ROWS + 1):
        time_field, rate_field = dose_checks.step_fields(n)
        steps.append(dose_checks.RateStepEntry(form[time_field].data, form[rate_field].data))
    return dose_checks.DoseEntry(
        ec_date=form.ec_date.data,
        start_time=form.start_time.data,
        stop_time=form.stop_time.data,
        given_dose=form.given_dose.data,
        given_volume=form.given_volume.data,
        deviation_reason=form.deviation_reason.data,
        interrupted=form.interrupted.data,
        interruption_minutes=form.interruption_minutes.data,
        interruption_reason=form.interruption_reason.data,
        premed_time=form.premed_time.data,
        premeds={column: form[column].data for column in dose_checks.PREMED_COLUMNS.values()},
        steps=steps,
        split=bool(form.split.data),
    )


def _fill(
    form: DoseForm, ctx: context.VisitContext, dose: dose_plan.DoseSetting, record: Any
) -> None:
    """A GET: the stored values, or the expected date on a new dose."""
    form.visit_date.data = ctx.visit.visit_date or site_today()
    form.split.data = dose.split
    if record is None:
        form.ec_date.data = dose.expected_date or form.visit_date.data
        return
    form.interrupted.data = record.interrupted
    for n, step in enumerate(dose_checks.steps_of(record), 1):
        time_field, rate_field = dose_checks.step_fields(n)
        form[time_field].data, form[rate_field].data = step.at_time, step.rate


def _part() -> int:
    part = request.args.get("part", "1")
    if part not in ("1", "2"):
        abort(404)
    return int(part)


def _vitals_url(subject_id: int, visitnum: str, dose: dose_plan.DoseSetting) -> str:
    """The vital signs form where the missing weight goes: this visit's, or the first dose's."""
    if dose.missing == dose_plan.NO_REFERENCE:
        visitnum = visitnum_text(dose_plan.dose_visits()[0].visitnum)
    return registry.url(registry.page_of("WEIGHT"), subject_id, visitnum)


@bp.route(VISIT + "/dose", methods=["GET", "POST"])
@login_required
def dose(subject_id: int, visitnum: str) -> Any:
    """The dose of a dosing visit; ``?part=2`` is the second half of a split first dose."""
    part = _part()
    if request.method == "POST":
        require(current_user, Action.ENTER_DATA)
    ctx = context.load(current_user, subject_id, visitnum)
    dose = dose_plan.setting(ctx, part)
    record = dose_plan.for_visit(ctx.visit, part)
    form = DoseForm(obj=record if request.method == "GET" else None)
    label_premeds(form)
    if request.method == "GET":
        _fill(form, ctx, dose, record)
    outcome = submit(
        form,
        lambda: dosing.save(
            current_user,
            subject_id,
            visitnum,
            _entry(form),
            part=part,
            **save_options(form),
        ),
        lambda _saved: next_url(subject_id, visitnum, ctx.row.forms, "EC"),
    )
    if outcome.redirect:
        return outcome.redirect
    if form.is_submitted() and part == 1:
        dose = dose_plan.setting(ctx, part, bool(form.split.data) and dose.split_allowed)
    return _dose_page(ctx, record, form, outcome, dose, part)


def _dose_page(
    ctx: context.VisitContext,
    record: Any,
    form: DoseForm,
    outcome: Outcome,
    dose: dose_plan.DoseSetting,
    part: int,
) -> Any:
    """The dosing page: the plan beside the form, the infusion rows, the link to the weight."""
    return render_crf(
        "visits/dose.html",
        ctx,
        record,
        form,
        outcome,
        dose=dose,
        rule=get_protocol().dosing,
        premeds=dose_checks.premedications(),
        steps=[dose_checks.step_fields(n) for n in range(1, dose_checks.RATE_STEP_ROWS + 1)],
        part_two=dose_plan.for_visit(ctx.visit, 2) if part == 1 else None,
        vitals_url=_vitals_url(ctx.subject.id, ctx.row.visitnum, dose),
    )
