"""User administration pages (data manager)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from studyapp.auth import admin, forms, mail
from studyapp.auth.models import User
from studyapp.errors import StaleVersion, ValidationFailed
from studyapp.permissions import Action, require
from studyapp.transaction import discard, keep_refusal
from studyapp.web import submissions
from studyapp.web.form_page import attach_errors
from studyapp.web.forms import ReasonForm

bp = Blueprint("admin", __name__, url_prefix="/admin/users")


@bp.route("/")
@login_required
def users() -> Any:
    require(current_user, Action.MANAGE_USERS)
    return render_template("admin/users.html", users=admin.list_users())


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_user() -> Any:
    require(current_user, Action.MANAGE_USERS)
    form = forms.NewUserForm()
    if form.validate_on_submit():
        data = admin.NewUser(
            username=form.username.data or "",
            full_name=form.full_name.data or "",
            email=form.email.data,
            role=form.role.data or "",
            identity_verification=form.identity_verification.data or "",
        )
        try:
            user, issued = submissions.once(
                form,
                User,
                lambda made: url_for("admin.edit_user", user_id=made.id),
                lambda: admin.create_user(current_user, data),
            )()
        except ValidationFailed as exc:
            attach_errors(form, exc)
        except mail.MailFailed as exc:
            keep_refusal()  # the failed delivery stays in the trail; no account was made
            form.form_errors.append(exc.message)
            return render_template("admin/user_form.html", form=form, user=None), exc.status
        else:
            return _code_page(user, issued, new=True)
    status = 422 if form.is_submitted() else 200
    return render_template("admin/user_form.html", form=form, user=None), status


def _code_page(user: Any, issued: admin.IssuedCode, new: bool) -> Any:
    """The code, when shown at all, is shown on this one answer and never cached."""
    page = render_template("admin/code.html", user=user, issued=issued, new=new)
    return page, 200, {"Cache-Control": "no-store"}


@bp.route("/<int(max=2147483647):user_id>", methods=["GET", "POST"])
@login_required
def edit_user(user_id: int) -> Any:
    user = admin.get_user(current_user, user_id)
    form = forms.EditUserForm(obj=user)
    stale = None
    if form.validate_on_submit():
        edit = admin.UserEdit(form.full_name.data or "", form.email.data, form.role.data or "")
        try:
            admin.update_user(
                current_user, user_id, form.version.data, edit, form.reason.data or ""
            )
        except StaleVersion as exc:
            stale = exc
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            flash(_("Account %(name)s saved.", name=user.username), "success")
            return redirect(url_for("admin.users"))
    if stale is not None:
        return render_template("admin/user_form.html", form=form, user=user, stale=stale), 409
    status = 422 if form.is_submitted() else 200
    return render_template(
        "admin/user_form.html", form=form, user=user, reason_form=ReasonForm(formdata=None)
    ), status


def _reason_action(user_id: int, act: Any, done: str) -> Any:
    user = admin.get_user(current_user, user_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            result = act(form.reason.data or "")
        except ValidationFailed as exc:
            discard()  # refused: the redirect must not commit what the service began
            flash(exc.message, "error")
            return redirect(url_for("admin.edit_user", user_id=user_id))
        except mail.MailFailed as exc:
            keep_refusal()  # the failed delivery stays in the trail; no code exists
            flash(exc.message, "error")
            return redirect(url_for("admin.edit_user", user_id=user_id))
        if isinstance(result, admin.IssuedCode):
            return _code_page(user, result, new=False)
        flash(done, "success")
        return redirect(url_for("admin.users"))
    flash(_("Give a reason."), "error")
    return redirect(url_for("admin.edit_user", user_id=user_id))


@bp.route("/<int(max=2147483647):user_id>/deactivate", methods=["POST"])
@login_required
def deactivate(user_id: int) -> Any:
    return _reason_action(
        user_id,
        lambda r: admin.set_active(current_user, user_id, False, r),
        _("Account deactivated; its sessions have ended."),
    )


@bp.route("/<int(max=2147483647):user_id>/reactivate", methods=["POST"])
@login_required
def reactivate(user_id: int) -> Any:
    return _reason_action(
        user_id,
        lambda r: admin.set_active(current_user, user_id, True, r),
        _("Account reactivated."),
    )


@bp.route("/<int(max=2147483647):user_id>/reset-code", methods=["POST"])
@login_required
def reset_code(user_id: int) -> Any:
    return _reason_action(user_id, lambda r: admin.issue_reset_code(current_user, user_id, r), "")


@bp.route("/<int(max=2147483647):user_id>/unlock", methods=["POST"])
@login_required
def unlock(user_id: int) -> Any:
    return _reason_action(
        user_id, lambda r: admin.unlock(current_user, user_id, r), _("Account unlocked.")
    )
