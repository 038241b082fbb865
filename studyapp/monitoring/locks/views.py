"""The pages of freeze and lock: the list of active ones (with the study-level control), the
page that sets one and the page that releases one with its reason (``/monitoring/locks``).

The subject, visit and form pages link here and show the state through the template helpers
below (``lock_state``, ``locks_at``), so those features never import monitoring.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from studyapp.auth.models import User
from studyapp.crf import registry
from studyapp.crf.status import FORM, STUDY, SUBJECT, VISIT, Closure
from studyapp.errors import NotFound
from studyapp.extensions import db
from studyapp.monitoring.blueprint import bp
from studyapp.monitoring.locks import services
from studyapp.monitoring.locks.forms import LockForm, ReleaseForm
from studyapp.monitoring.locks.models import DataLock
from studyapp.permissions import Action, require
from studyapp.subjects.models import Subject
from studyapp.web.form_page import submit


@bp.app_context_processor
def _lock_helpers() -> dict[str, Any]:
    def lock_state(
        subject_id: int, visitnum: str | None = None, form: str | None = None
    ) -> Closure | None:
        return services.state_of(subject_id, visitnum, form)

    def locks_at(subject_id: int, visitnum: str | None = None) -> list[DataLock]:
        """The active locks set on this subject and its subject-level forms (``visitnum``
        None), or on this visit and its forms."""
        found = services.active_locks(subject_id)
        return [lock for lock in found if lock.scope != STUDY and lock.visitnum == visitnum]

    def subject_pages() -> list[registry.Page]:
        """The subject-level pages (adverse events, disposition ...), each once."""
        pages = [f.page for f in registry.FORMS.values() if f.page.endpoint and not f.per_visit]
        return list(dict.fromkeys(pages))

    return {"lock_state": lock_state, "locks_at": locks_at, "subject_pages": subject_pages}


def _names(locks: list[DataLock]) -> dict[int, str]:
    ids = {lock.set_by_id for lock in locks} | {lock.released_by_id for lock in locks}
    users = db.session.scalars(select(User).where(User.id.in_(ids - {None})))
    return {user.id: user.full_name for user in users}


@bp.route("/locks")
@login_required
def locks() -> Any:
    require(current_user, Action.LOCK_DATA)
    found = services.active_locks()
    return render_template("monitoring/locks.html", locks=found, names=_names(found))


def _arg_int(value: Any) -> int | None:
    text = str(value or "").strip()
    if not text.isdigit() or len(text) > 9:
        return None
    return int(text)


def _back(scope: str, subject_id: int | None, visitnum: str | None, form: str | None) -> str:
    """Where a set freeze or lock goes: the page of what it covers."""
    if scope == SUBJECT:
        return url_for("subjects.detail", subject_id=subject_id)
    if scope == VISIT or (scope == FORM and visitnum):
        return url_for("visits.visit", subject_id=subject_id, visitnum=visitnum)
    return url_for("monitoring.locks")


@bp.route("/locks/new", methods=["GET", "POST"])
@login_required
def new_lock() -> Any:
    """The address names what to freeze or lock (``scope``, ``subject_id``, ``visitnum``,
    ``form``); the form posts back to it with the state and the reason."""
    require(current_user, Action.LOCK_DATA)
    form = LockForm()
    scope = request.args.get("scope", "")
    subject_id = _arg_int(request.args.get("subject_id"))
    visitnum = request.args.get("visitnum", "")[:10] or None
    code = request.args.get("form", "")[:10] or None
    if scope not in (STUDY, SUBJECT, VISIT, FORM) or (scope != STUDY and subject_id is None):
        raise NotFound(_("No such subject, visit or form."))
    if request.method == "GET":
        services.check_target(current_user, scope, subject_id, visitnum, code)
    outcome = submit(
        form,
        lambda: services.set_lock(
            current_user,
            scope,
            form.state.data or "",
            subject_id=subject_id,
            visitnum=visitnum,
            form=code,
            reason=form.reason.data,
        ),
        lambda lock: _back(scope, subject_id, lock.visitnum, lock.form),
        saved_message=_("Set."),
    )
    if outcome.redirect:
        return outcome.redirect
    label = registry.page_of(code).label if code and code in registry.FORMS else code
    subject = db.session.get(Subject, subject_id) if subject_id else None
    page = render_template(
        "monitoring/lock_new.html",
        form=form,
        scope=scope,
        subject=subject.label if subject is not None else "",
        visitnum=visitnum,
        form_label=label,
    )
    return page, outcome.status


@bp.route("/locks/<int(max=2147483647):lock_id>/release", methods=["GET", "POST"])
@login_required
def release(lock_id: int) -> Any:
    lock = services.get_lock(current_user, lock_id)
    form = ReleaseForm()
    outcome = submit(
        form,
        lambda: services.release(current_user, lock.id, form.reason.data),
        lambda _released: _back(lock.scope, lock.subject_id, lock.visitnum, lock.form),
        saved_message=_("Released."),
    )
    if outcome.redirect:
        return outcome.redirect
    page = render_template(
        "monitoring/lock_release.html",
        form=form,
        lock=lock,
        names=_names([lock]),
    )
    return page, outcome.status
