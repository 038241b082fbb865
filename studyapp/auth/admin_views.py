"""User administration pages (data manager)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from studyapp.auth import admin, forms, mail
from studyapp.auth.models import User
from studyapp.permissions import Action, require
from studyapp.web import submissions
from studyapp.web.form_page import submit
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

    def create() -> Any:
        data = admin.NewUser(
            username=form.username.data or "",
            full_name=form.full_name.data or "",
            email=form.email.data,
            role=form.role.data or "",
            identity_verification=form.identity_verification.data or "",
        )
        return submissions.once(
            form,
            User,
            lambda made: url_for("admin.edit_user", user_id=made.id),
            lambda: admin.create_user(current_user, data),
        )()

    # a failed delivery stays in the trail (kept); no account was made
    outcome = submit(
        form,
        create,
        lambda made: _code_page(*made, new=True),
        saved_message=False,
        kept=(mail.MailFailed,),
    )
    return outcome.redirect or (
        render_template("admin/user_form.html", form=form, user=None),
        outcome.status,
    )


def _code_page(user: Any, issued: admin.IssuedCode, new: bool) -> Any:
    """The code, when shown at all, is shown on this one answer and never cached."""
    page = render_template("admin/code.html", user=user, issued=issued, new=new)
    return page, 200, {"Cache-Control": "no-store"}


@bp.route("/<int(max=2147483647):user_id>", methods=["GET", "POST"])
@login_required
def edit_user(user_id: int) -> Any:
    user = admin.get_user(current_user, user_id)
    form = forms.EditUserForm(obj=user)
    outcome = submit(
        form,
        lambda: admin.update_user(
            current_user,
            user_id,
            form.version.data,
            admin.UserEdit(form.full_name.data or "", form.email.data, form.role.data or ""),
            form.reason.data or "",
        ),
        lambda _saved: url_for("admin.users"),
        saved_message=_("Account %(name)s saved.", name=user.username),
    )
    if outcome.redirect:
        return outcome.redirect
    if outcome.stale is not None:
        page = render_template("admin/user_form.html", form=form, user=user, stale=outcome.stale)
        return page, 409
    return render_template(
        "admin/user_form.html", form=form, user=user, reason_form=ReasonForm(formdata=None)
    ), outcome.status


def _reason_action(user_id: int, act: Any, done: str) -> Any:
    """A button with a reason: answered with a redirect, saved or refused (flashed)."""
    user = admin.get_user(current_user, user_id)
    form = ReasonForm()
    back = url_for("admin.edit_user", user_id=user_id)
    # a failed code e-mail stays in the trail (kept); no code exists
    outcome = submit(
        form,
        lambda: act(form.reason.data or ""),
        lambda result: (
            _code_page(user, result, new=False)
            if isinstance(result, admin.IssuedCode)
            else url_for("admin.users")
        ),
        saved_message=done,
        kept=(mail.MailFailed,),
    )
    if outcome.redirect:
        return outcome.redirect
    flash(outcome.refusal.message if outcome.refusal else _("Give a reason."), "error")
    return redirect(back)


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
