"""The dosing page (protocol forms EC and PREMED): planned and given dose, infusion, premeds."""

from __future__ import annotations

from typing import Any

from flask import abort, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import BooleanField, SelectChoice, TimeField
from wtforms.validators import Length, Optional

from studyapp.crf import registry
from studyapp.crf.forms import DATE_HINT, CrfForm
from studyapp.db import site_today
from studyapp.permissions import Action, require
from studyapp.protocol.loader import get_protocol
from studyapp.visits import crf, dose_plan, dose_save, dosing
from studyapp.visits.calendar import visitnum_text
from studyapp.visits.forms import TIME_HINT, decimal, whole
from studyapp.visits.pages import VISIT, bp, next_url, render_crf, save_options
from studyapp.web.fields import SelectField, TextAreaField, boolean_choice
from studyapp.web.form_page import submit
from studyapp.web.forms import IsoDateField

YES, NO = "Y", "N"


def _text(label: object) -> TextAreaField:
    return TextAreaField(label, validators=[Optional(), Length(max=500)])


class DoseForm(CrfForm):
    split = BooleanField(_l("Split the first dose: half on Day 1, half on the next day"))
    ec_date = IsoDateField(
        _l("Date of the infusion"), validators=[Optional()], description=DATE_HINT
    )
    premed_time = TimeField(
        _l("Premedication given at"), validators=[Optional()], description=TIME_HINT
    )
    start_time = TimeField(_l("Infusion start"), validators=[Optional()], description=TIME_HINT)
    stop_time = TimeField(_l("Infusion stop"), validators=[Optional()], description=TIME_HINT)
    given_dose = decimal(_l("Dose given (mg)"))
    given_volume = decimal(_l("Volume of daratumumab given (mL)"))
    deviation_reason = _text(_l("Reason for the dose deviation"))
    interrupted = SelectField(
        _l("Was the infusion interrupted?"),
        choices=[SelectChoice("", "—"), SelectChoice(NO, _l("No")), SelectChoice(YES, _l("Yes"))],
        coerce=boolean_choice(YES, NO),
        validate_choice=True,
    )
    interruption_minutes = whole(_l("Interrupted for (minutes)"))
    interruption_reason = _text(_l("Reason for the interruption"))


for _column in dosing.PREMED_COLUMNS.values():
    # Labels come from the protocol when the form is built (``_label_premeds``).
    setattr(DoseForm, _column, decimal(_column))
for _n in range(1, dosing.RATE_STEP_ROWS + 1):
    _time_field, _rate_field = dosing.step_fields(_n)
    setattr(DoseForm, _time_field, TimeField(_l("Time of rate change"), validators=[Optional()]))
    setattr(DoseForm, _rate_field, decimal(_l("Rate (mL/h)")))


def _label_premeds(form: DoseForm) -> None:
    for premed, column in dosing.premedications():
        form[column].label.text = f"{premed.name} ({premed.unit})"


def _entry(form: DoseForm) -> dosing.DoseEntry:
    steps = []
    for n in range(1, dosing.RATE_STEP_ROWS + 1):
        time_field, rate_field = dosing.step_fields(n)
        steps.append(dosing.RateStepEntry(form[time_field].data, form[rate_field].data))
    return dosing.DoseEntry(
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
        premeds={column: form[column].data for column in dosing.PREMED_COLUMNS.values()},
        steps=steps,
        split=bool(form.split.data),
    )


def _fill(form: DoseForm, ctx: crf.VisitContext, dose: dose_plan.DoseSetting, record: Any) -> None:
    """A GET: the stored values, or the expected date on a new dose."""
    form.visit_date.data = ctx.visit.visit_date or site_today()
    form.split.data = dose.split
    if record is None:
        form.ec_date.data = dose.expected_date or form.visit_date.data
        return
    form.interrupted.data = record.interrupted
    for n, step in enumerate(dosing.steps_of(record), 1):
        time_field, rate_field = dosing.step_fields(n)
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
    ctx = crf.load(current_user, subject_id, visitnum)
    dose = dose_plan.setting(ctx, part)
    record = dose_plan.for_visit(ctx.visit, part)
    form = DoseForm(obj=record if request.method == "GET" else None)
    _label_premeds(form)
    if request.method == "GET":
        _fill(form, ctx, dose, record)
    outcome = submit(
        form,
        lambda: dose_save.save(
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
    return render_crf(
        "visits/dose.html",
        ctx,
        record,
        form,
        outcome,
        dose=dose,
        rule=get_protocol().dosing,
        premeds=dosing.premedications(),
        steps=[dosing.step_fields(n) for n in range(1, dosing.RATE_STEP_ROWS + 1)],
        part_two=dose_plan.for_visit(ctx.visit, 2) if part == 1 else None,
        vitals_url=_vitals_url(subject_id, visitnum, dose),
    )
