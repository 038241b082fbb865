"""The audit viewer (monitor, data manager): filter, paginate, a field's full history;
the signed checkpoints of the chain (the data manager writes one on demand)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import NumberRange, Optional

from studyapp.audit import checkpoints, naming, reviews, services
from studyapp.db import utcnow
from studyapp.errors import AuditIntegrityError, Conflict
from studyapp.permissions import Action, can
from studyapp.transaction import discard
from studyapp.web.forms import IsoDateField, WholeNumberField, query_int

bp = Blueprint("audit", __name__, url_prefix="/audit")
#: How many subjects the "changed since the last review" list shows.
CHANGED_SHOWN = 50


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    subject = StringField(_l("Subject number"), validators=[Optional()])
    subject_id = WholeNumberField(
        _l("Subject (id)"), validators=[Optional(), NumberRange(min=1, max=2**31 - 1)]
    )
    table_name = SelectField(_l("Table"), validators=[Optional()], validate_choice=False)
    row_id = StringField(_l("Row"), validators=[Optional()])
    field = StringField(_l("Field"), validators=[Optional()])
    username = StringField(_l("User"), validators=[Optional()])
    date_from = IsoDateField(_l("From (UTC date)"), validators=[Optional()])
    date_to = IsoDateField(_l("To (UTC date)"), validators=[Optional()])
    since_review = BooleanField(_l("Only changes since the subject's last review"))


@bp.route("/")
@login_required
def index() -> Any:
    form = AuditFilterForm(request.args)
    names = naming.describe()
    form.table_name.choices = [SelectChoice("", "—")] + [
        SelectChoice(t, f"{names.table(t)} ({t})") for t in services.table_names()
    ]
    valid = form.validate() and _resolve_subject(form)
    criteria = (
        services.AuditFilter(
            **{
                name: (form[name].data or None)
                for name in services.AuditFilter.__dataclass_fields__
            }
        )
        if valid
        else services.AuditFilter()
    )
    page = min(query_int("page") or 1, 10**6)
    result = services.search(current_user, criteria, page)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    changed = [] if criteria.subject_id else reviews.changed_since_review()[:CHANGED_SHOWN]
    ids = {r.subject_id for r in result.rows if r.subject_id} | {c[0] for c in changed}
    return render_template(
        "audit/index.html",
        form=form,
        result=result,
        args=args,
        names=names,
        subjects=naming.subject_numbers(ids),
        changed=changed,
        review=_review_of(criteria.subject_id),
        checkpoint=checkpoints.latest_status(current_user),
        may_anchor=can(current_user, Action.ANCHOR_AUDIT),
    ), (200 if valid else 400)


def _review_of(subject_id: int | None) -> dict[str, Any] | None:
    """The subject's last review and its newest row, for the "mark reviewed" control."""
    if subject_id is None:
        return None
    return {
        "subject_id": subject_id,
        "last": reviews.last_review(subject_id),
        "newest": reviews.newest_row(subject_id),
    }


@bp.route("/reviewed", methods=["POST"])
@login_required
def reviewed() -> Any:
    """Mark a subject's audit trail reviewed up to the newest row the page showed (GCP-03)."""
    subject_id, upto = _posted_int("subject_id"), _posted_int("upto")
    if subject_id is None or upto is None:
        abort(400, _("Say which subject and up to which row."))
    try:
        reviews.mark_reviewed(current_user, subject_id, upto)
    except Conflict as exc:
        discard()
        flash(exc.message, "error")
    else:
        flash(_("Audit trail reviewed up to row %(seq)d.", seq=upto), "success")
    return redirect(url_for("audit.index", subject_id=subject_id))


def _posted_int(name: str) -> int | None:
    text = (request.form.get(name) or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def _resolve_subject(form: AuditFilterForm) -> bool:
    """The typed subject number to the id the search filters on; False with a message next
    to the field when no subject has that number."""
    number = (form.subject.data or "").strip()
    if not number:
        return True
    found = naming.subject_by_number(number)
    if found is None:
        form.subject.errors = [_("No subject has the number %(n)s.", n=number)]
        return False
    form.subject_id.data = found
    return True


@bp.route("/checkpoints")
@login_required
def checkpoint_list() -> Any:
    """Every checkpoint, newest first, on a page made for printing."""
    statuses = checkpoints.all_statuses(current_user)
    return render_template(
        "audit/checkpoints.html",
        statuses=statuses,
        path=checkpoints.anchor_path().name,
        now_utc=utcnow().strftime("%Y-%m-%d %H:%M:%S UTC"),
    )


@bp.route("/checkpoints", methods=["POST"])
@login_required
def anchor() -> Any:
    try:
        checkpoint = checkpoints.anchor_now(current_user)
    except AuditIntegrityError as exc:
        discard()  # refused: the redirect must not commit what the service began
        flash(_("No checkpoint written: %(problem)s", problem=exc.message), "error")
    else:
        flash(_("Checkpoint written: seq %(seq)d.", seq=checkpoint.seq), "success")
    return redirect(url_for("audit.index"))


@bp.route("/history/<table_name>/<row_id>/<field>")
@login_required
def history(table_name: str, row_id: str, field: str) -> Any:
    rows = services.field_history(current_user, table_name, row_id, field)
    if not rows and table_name not in services.table_names():
        abort(404)  # no audited table of that name: nothing to show, as for any unknown id
    return render_template(
        "audit/history.html",
        rows=rows,
        table_name=table_name,
        row_id=row_id,
        field=field,
        names=naming.describe(),
    )
