"""Sign-in, second factor, sign-out, own password and language.

The sign-in views (sign-in, its second factor, the set-up code page) are an edge that keeps
a refusal: a failed attempt counts toward the lockout although the answer is 401, so they
call ``transaction.keep_refusal`` before answering it. Everything else commits once at the
web edge like any request.
"""

from __future__ import annotations

from typing import Any

import qrcode
import qrcode.image.svg
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from markupsafe import Markup

from studyapp.auth import forms, services
from studyapp.auth.models import User
from studyapp.db import utcnow
from studyapp.extensions import db, limiter
from studyapp.transaction import keep_refusal
from studyapp.web.filters import localtime
from studyapp.web.form_page import submit
from studyapp.web.hooks import safe_next

bp = Blueprint("auth", __name__)

PENDING = "pending_2fa"
PENDING_SECONDS = 300


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _start_session(user: User) -> Any:
    """New session contents at sign-in (SEC-05), then on to where the user was going."""
    target = safe_next(session.get("next"))
    locale = session.get("locale")
    session.clear()
    notice = services.complete_login(user)
    login_user(user)
    now = utcnow().timestamp()
    session["login_at"] = session["last_seen"] = now
    if notice is not None:
        flash(_code_notice(*notice), "warning")
    if locale and not user.locale:
        user.locale = locale
    return redirect(target or url_for("main.home"))


def _code_notice(issuer: str, issued_at: Any) -> str:
    return _(
        "Your password was set with a code issued by %(name)s on %(t)s. "
        "If you did not set it yourself, report it to the study team at once.",
        name=issuer,
        t=localtime(issued_at),
    )


def _render_failed(form: Any, error: str) -> Any:
    return render_template("auth/login.html", form=form, error=error), 401


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = forms.LoginForm()
    if request.method == "GET" and request.args.get("next"):
        session["next"] = safe_next(request.args.get("next"))
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("auth/login.html", form=form), status
    try:
        user = services.authenticate(form.username.data or "", form.password.data or "")
    except services.LoginFailed as exc:
        keep_refusal()
        return _render_failed(form, exc.message)
    if user.totp_enabled:
        session[PENDING] = {"id": user.id, "epoch": user.session_epoch, "at": utcnow().timestamp()}
        return redirect(url_for("auth.login_totp"))
    return _start_session(user)


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login_totp() -> Any:
    pending = session.get(PENDING)
    if not pending or utcnow().timestamp() - pending["at"] > PENDING_SECONDS:
        session.pop(PENDING, None)
        return redirect(url_for("auth.login"))
    form = forms.TotpForm()
    if not form.validate_on_submit():
        return render_template("auth/totp.html", form=form), 400 if form.is_submitted() else 200
    user = db.session.get(User, pending["id"])
    try:
        if user is None or user.session_epoch != pending["epoch"]:
            raise services.LoginFailed()
        services.check_second_factor(user, form.code.data or "")
    except services.CodeReused as exc:
        keep_refusal()  # counted toward the lockout like any failed code
        form.code.errors = [exc.message]
        form.code.raw_data = []  # the spent code is not shown again
        return render_template("auth/totp.html", form=form), exc.status
    except services.LoginFailed as exc:
        keep_refusal()
        session.pop(PENDING, None)
        return _render_failed(forms.LoginForm(formdata=None), exc.message)
    return _start_session(user)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Any:
    services.logout(current_user)
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    form = forms.ChangePasswordForm()

    def changed(_result: None) -> str:
        login_user(current_user._get_current_object())  # the epoch moved: new cookie
        return url_for("main.home")

    outcome = submit(
        form,
        lambda: services.change_password(
            current_user, form.current.data or "", form.new.data or "", form.confirm.data or ""
        ),
        changed,
        saved_message=_("Password changed. Other sessions of yours have ended."),
    )
    if outcome.redirect:
        return outcome.redirect
    origin = services.code_origin(current_user)
    notice = _code_notice(*origin) if origin else None
    page = render_template("auth/change_password.html", form=form, code_notice=notice)
    return page, outcome.status


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def reset_with_code() -> Any:
    form = forms.ResetWithCodeForm()
    # a wrong code counts toward the lockout (kept) and answers 401 on the form
    outcome = submit(
        form,
        lambda: services.set_password_with_code(
            form.username.data or "",
            form.code.data or "",
            form.new.data or "",
            form.confirm.data or "",
        ),
        lambda _user: url_for("auth.login"),
        saved_message=_("Your password is set. Sign in with it."),
        kept=(services.LoginFailed,),
    )
    return outcome.redirect or (render_template("auth/reset.html", form=form), outcome.status)


@bp.route("/account/second-factor", methods=["GET", "POST"])
@login_required
def totp_setup() -> Any:
    """Enrol an authenticator: POST ``start`` makes a secret, then a code confirms it."""
    form = forms.TotpForm()
    if request.method == "POST" and request.form.get("action") == "start":
        if not current_user.totp_enabled:
            services.begin_totp_setup(current_user)
        return redirect(url_for("auth.totp_setup"))
    outcome = submit(
        form,
        lambda: services.confirm_totp_setup(current_user, form.code.data or ""),
        lambda _result: url_for("main.home"),
        saved_message=_("Second factor enabled."),
    )
    if outcome.redirect:
        return outcome.redirect
    pending = current_user.totp_secret and not current_user.totp_enabled
    qr = _qr_svg(services.totp_uri(current_user)) if pending else None
    return render_template("auth/totp_setup.html", form=form, qr=qr), outcome.status


@bp.route("/language", methods=["POST"])
def set_language() -> Any:
    """Switch language; stored on the user when signed in, in the session otherwise."""
    form = forms.LanguageForm()
    if form.validate_on_submit():
        locale = form.locale.data or "en"
        session["locale"] = locale
        if current_user.is_authenticated:
            services.set_locale(current_user, locale)
    return redirect(safe_next(request.form.get("next")) or url_for("main.home"))


def _qr_svg(uri: str) -> Markup:
    """The provisioning QR code as inline SVG, drawn here: nothing leaves the site."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    svg = image.to_string(encoding="unicode")
    return Markup(svg[svg.index("<svg") :])  # noqa: S704 - generated by qrcode, no user text
