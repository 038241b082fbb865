"""Medications and rescue therapy: the subject's list with the add form (per visit), the
edit page of one medication and its removal with a reason."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from studyapp.crf.forms import choices, completing
from studyapp.crf.status import Where, closure_at, where_of
from studyapp.db import site_today
from studyapp.permissions import Action, require
from studyapp.protocol.loader import get_protocol
from studyapp.subjects.labels import label
from studyapp.visits import context
from studyapp.visits.medications import service
from studyapp.visits.medications.forms import MedicationForm, RemoveMedicationForm
from studyapp.visits.models import CONCOMITANT, ROUTES, Medication
from studyapp.visits.pages import SUBJECT, VISIT, bp, next_url, num
from studyapp.web import submissions
from studyapp.web.form_page import submit

MEDICATION = SUBJECT + "/medications/<int(max=2147483647):med_id>"


def _medication_form(obj: Any = None, *, formdata: bool = True) -> MedicationForm:
    form = MedicationForm(obj=obj) if formdata else MedicationForm(formdata=None, obj=obj)
    blank = [("", "—")]
    form.category.choices = choices([(c, label("cm_category", c)) for c in service.CATEGORIES])
    form.rescue_type.choices = choices(
        blank + [(c, label("rescue", c)) for c in get_protocol().rescue_types]
    )
    form.route.choices = choices(blank + [(c, label("route", c)) for c in ROUTES])
    return form


def _stored_form(med: Any) -> MedicationForm:
    """The edit form showing the stored medication."""
    form = _medication_form(obj=med, formdata=False)
    if med.dose is not None:
        form.dose.data = Decimal(num(med.dose))  # 500, not the column's 500.000
    return form


def _entry(form: MedicationForm) -> service.MedicationEntry:
    return service.MedicationEntry(
        category=form.category.data,
        rescue_type=form.rescue_type.data,
        trt=form.trt.data,
        dose=form.dose.data,
        dose_unit=form.dose_unit.data,
        route=form.route.data,
        frequency=form.frequency.data,
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        ongoing=bool(form.ongoing.data),
        indication=form.indication.data,
    )


def _after_add(subject_id: int, visitnum: str, forms: tuple[str, ...]) -> str:
    """ "Save and next form" moves on; "Save" and drafts come back to the list for the next drug."""
    if request.form.get("action") == "next":
        return next_url(subject_id, visitnum, forms, "CM")
    return url_for("visits.medications", subject_id=subject_id, visitnum=visitnum)


@bp.route(VISIT + "/medications", methods=["GET", "POST"], endpoint="medications")
@login_required
def medications_page(subject_id: int, visitnum: str) -> Any:
    ctx = context.load(current_user, subject_id, visitnum)
    if request.method == "POST":
        require(current_user, Action.ENTER_DATA)
    form = _medication_form()
    if request.method == "GET":
        form.category.data = CONCOMITANT
        form.visit_date.data = ctx.visit.visit_date or site_today()
    add = submissions.once(
        form,
        Medication,
        lambda _made: url_for("visits.medications", subject_id=subject_id, visitnum=visitnum),
        lambda: service.add(
            current_user,
            subject_id,
            visitnum,
            _entry(form),
            visit_date=form.visit_date.data,
            completing=completing(),
            confirmed=form.confirm.data,
        ),
    )
    outcome = submit(
        form,
        add,
        lambda _saved: _after_add(subject_id, visitnum, ctx.row.forms),
    )
    if outcome.redirect:
        return outcome.redirect
    return render_template(
        "visits/medications.html",
        subject=ctx.subject,
        row=ctx.row,
        visit=ctx.visit,
        form=form,
        stale=None,
        meds=service.listing(ctx.subject),
        closure=closure_at(Where(ctx.subject.id, ctx.row.visitnum, "CM")),
    ), outcome.status


def _back(subject_id: int, med: Any) -> str:
    """The list of the visit where the medication was recorded (else the casebook)."""
    visit = service.visit_of(med)
    if visit is None:
        return url_for("visits.overview", subject_id=subject_id)
    return url_for("visits.medications", subject_id=subject_id, visitnum=visit.visitnum)


def _edit_page(subject: Any, med: Any, form: Any, remove: Any, stale: Any, status: int) -> Any:
    return render_template(
        "visits/medication_edit.html",
        subject=subject,
        med=med,
        visit=service.visit_of(med),
        form=form,
        remove=remove,
        stale=stale,
        back=_back(subject.id, med),
        closure=closure_at(where_of(med)),
    ), status


@bp.route(MEDICATION, methods=["GET", "POST"], endpoint="medication_edit")
@login_required
def medication_edit(subject_id: int, med_id: int) -> Any:
    subject, med = service.get(current_user, subject_id, med_id)
    if request.method == "POST":
        require(current_user, Action.ENTER_DATA)
    form = _stored_form(med) if request.method == "GET" else _medication_form()
    outcome = submit(
        form,
        lambda: service.update(
            current_user,
            subject.id,
            med.id,
            _entry(form),
            version=form.version.data,
            reason=form.reason.data,
            completing=completing(),
            confirmed=form.confirm.data,
        ),
        lambda _saved: _back(subject.id, med),
    )
    if outcome.redirect:
        return outcome.redirect
    remove = RemoveMedicationForm(prefix="rm", formdata=None)
    remove.version.data = med.version
    return _edit_page(subject, med, form, remove, outcome.stale, outcome.status)


@bp.route(MEDICATION + "/remove", methods=["POST"], endpoint="medication_remove")
@login_required
def medication_remove(subject_id: int, med_id: int) -> Any:
    subject, med = service.get(current_user, subject_id, med_id)
    require(current_user, Action.ENTER_DATA)
    remove = RemoveMedicationForm(prefix="rm")
    back = _back(subject.id, med)

    def act() -> None:
        service.remove(
            current_user, subject.id, med.id, remove.reason.data, version=remove.version.data
        )
        flash(_("Medication removed (kept in the audit trail)."), "success")

    outcome = submit(remove, act, lambda _done: back, saved_message=False, stale_on_form=True)
    if outcome.redirect:
        return outcome.redirect
    return _edit_page(subject, med, _stored_form(med), remove, None, outcome.status)
