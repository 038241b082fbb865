"""The safety blueprint: the overview, the SAE list, the lab-to-AE tasks and the CTCAE search.

The AE form pages are in ``ae_views``, the SAE page and its reports in ``sae_views``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from studyapp.crf.forms import choices
from studyapp.extensions import db
from studyapp.formatting import plain_number
from studyapp.permissions import Action, require
from studyapp.protocol.loader import get_protocol
from studyapp.safety import ctcae, overview, sae, tasks
from studyapp.safety.ctcae_zh import grade_label, grade_labels, soc_label
from studyapp.safety.forms import TaskForm
from studyapp.safety.models import AdverseEvent
from studyapp.subjects.labels import label
from studyapp.subjects.models import ENROLLED, Subject
from studyapp.web.form_page import submit
from studyapp.web.forms import query_int
from studyapp.web.hooks import safe_next

bp = Blueprint("safety", __name__)


def dlt_reason_text(code: str) -> str:
    """Why an AE is (not) a candidate DLT; the exceptions with the protocol's limits."""
    rule = get_protocol().dlt
    texts = {
        "irr_resolved": _(
            "not a DLT if a grade 3 infusion reaction was back to grade 1 or less within %(h)d h",
            h=rule.irr_grade3_resolution_hours,
        ),
        "gi_controlled": _(
            "not a DLT if grade 3 GI symptoms were controlled within %(h)d h",
            h=rule.gi_grade3_control_hours,
        ),
        "lab_resolved": _(
            "not a DLT if an asymptomatic grade 3 lab value resolved within %(d)d days",
            d=rule.lab_grade3_resolution_days,
        ),
        "neutropenia_duration": _(
            "a DLT only if grade 4 neutropenia lasted more than %(d)d days",
            d=rule.neutropenia_grade4_min_days,
        ),
        "hys_law": _(
            "Hy's law: ALT or AST at least %(a)s x ULN with total bilirubin at least %(b)s x ULN "
            "in the same draw",
            a=plain_number(rule.hys_law_aminotransferase_uln),
            b=plain_number(rule.hys_law_bilirubin_uln),
        ),
        "bleeding": _(
            "drug-related bleeding of WHO grade %(g)d or more", g=rule.bleeding_min_who_grade
        ),
    }
    return texts.get(code) or label("dlt_reason", code)


@bp.app_context_processor
def _safety_helpers() -> dict[str, Any]:
    rule = get_protocol().safety
    return {
        "dlt_reason_text": dlt_reason_text,
        "soc_label": soc_label,
        "grade_label": grade_label,
        "grade_labels": grade_labels,
        "sae_hours": rule.sae_sponsor_hours,
        "susar_fatal_days": rule.susar_fatal_days,
        "susar_followup_days": rule.susar_followup_extra_days,
        "susar_other_days": rule.susar_other_days,
        "ae_task_grade": rule.ae_task_min_grade,
        "lab_days_before": rule.sae_lab_window_days,
        "lab_days_after": rule.sae_lab_window_days,
        "halt_limit": get_protocol().run_in.halt_if_dlt_at_least,
    }


def _flag(name: str) -> bool:
    return request.args.get(name) in ("1", "on", "yes")


def _filters() -> overview.Filters:
    return overview.Filters(
        subject_id=query_int("subject"),
        soc=request.args.get("soc") or None,
        term=(request.args.get("term") or "").strip()[:200] or None,
        min_grade=query_int("min_grade", low=1, high=5),
        serious=_flag("serious"),
        dlt=_flag("dlt"),
        irr=_flag("irr"),
        related=_flag("related"),
    )


@bp.route("/safety/")
@login_required
def index() -> Any:
    """AEs by subject, by SOC and term, by worst grade; SAEs, DLTs and IRRs; with filters."""
    filters = _filters()
    view = overview.overview(current_user, filters)
    subjects = db.session.scalars(
        db.select(Subject).where(Subject.status == ENROLLED).order_by(Subject.id)
    ).all()
    return render_template(
        "safety/overview.html",
        view=view,
        filters=filters,
        subjects=subjects,
        saes=sae.saes(current_user),
    )


@bp.route("/safety/saes")
@login_required
def saes() -> Any:
    return render_template("safety/saes.html", saes=sae.saes(current_user))


@bp.route("/safety/ctcae.json")
@login_required
def ctcae_search() -> Any:
    """Terms matching ?q= (every word, in the term or its SOC, or a synonym of the shipped
    list: ``synonym`` then names it), with grade definitions."""
    require(current_user, Action.VIEW_STUDY_DATA)
    query = (request.args.get("q") or "")[:100]
    found = ctcae.load().lookup(query, limit=25)
    return jsonify(
        [
            {
                "code": hit.term.code,
                "term": hit.term.term,
                "soc": hit.term.soc,
                "soc_label": soc_label(hit.term.soc),
                "synonym": hit.synonym,
                "grades": {str(g): hit.term.definition(g) for g in hit.term.allowed_grades()},
            }
            for hit in found
        ]
    )


@bp.route("/safety/tasks", methods=["GET"])
@login_required
def task_list() -> Any:
    found = tasks.open_tasks(current_user)
    return render_template("safety/tasks.html", tasks=found, forms=_task_forms(found))


def _task_forms(found: list[tasks.Task]) -> dict[int, TaskForm]:
    forms = {}
    for task in found:
        form = TaskForm(prefix=f"t{task.result_id}", formdata=None)
        form.ae_id.choices = _ae_choices(task.subject_id)
        forms[task.result_id] = form
    return forms


def _ae_choices(subject_id: int) -> list[Any]:
    rows = db.session.scalars(
        db.select(AdverseEvent)
        .where(AdverseEvent.subject_id == subject_id, AdverseEvent.deleted_at.is_(None))
        .order_by(AdverseEvent.aespid)
    )
    return choices(
        [("", "—")]
        + [
            (
                str(r.id),
                f"{r.label}: {r.term} ({_('grade')} {r.grade or '?'}, {r.start_date or ''})",
            )
            for r in rows
        ]
    )


@bp.route("/safety/tasks/<int(max=2147483647):result_id>", methods=["POST"])
@login_required
def task_answer(result_id: int) -> Any:
    """Close a lab-to-AE task with one of its two answers."""
    require(current_user, Action.RECORD_SAFETY)
    task = tasks.get_task(current_user, result_id)
    form = TaskForm(prefix=f"t{result_id}")
    form.ae_id.choices = _ae_choices(task.subject_id)
    outcome = submit(
        form,
        lambda: tasks.answer(
            current_user,
            result_id,
            decision=form.decision.data,
            ae_id=form.ae_id.data,
            reason=form.reason.data,
        ),
        lambda _closed: safe_next(request.form.get("next")) or url_for("safety.task_list"),
        saved_message=_("Task closed."),
    )
    if outcome.redirect:
        return outcome.redirect
    found = tasks.open_tasks(current_user)
    forms = _task_forms(found)
    forms[result_id] = form
    return render_template("safety/tasks.html", tasks=found, forms=forms), 422
