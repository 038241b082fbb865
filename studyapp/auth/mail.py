"""Set-up and reset codes by e-mail, to the account holder only (P11-17).

Standard library only (smtplib, email.message). ``MAIL_SERVER`` unset means no mail:
the data manager then hands the code over in person (see docs/deployment.md).
"""

from __future__ import annotations

import re
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from studyapp.auth.models import User
from studyapp.errors import DomainError
from studyapp.security_log import security_event

#: One address, no spaces or line breaks (nothing can be smuggled into a header).
EMAIL_RE = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


class MailFailed(DomainError):
    """The mail server could not be reached or refused the message; no code was issued."""

    status = 503


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def mask_address(address: str) -> str:
    """``zhang.wei@example.org`` -> ``z***@example.org``: enough to recognise, not to copy."""
    local, _sep, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def send_code(user: User, code: str, issuer: User, expires_at: datetime) -> None:
    """Send ``code`` to ``user.email``; raises MailFailed (never logs the code)."""
    from studyapp.web.filters import localtime

    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        message = _message(user, code, issuer, localtime(expires_at))
    try:
        _deliver(message)
    except (smtplib.SMTPException, OSError) as exc:
        security_event(
            "code_mail_failed", by=issuer.username, user=user.username, why=type(exc).__name__
        )
        raise MailFailed(
            _(
                "The code could not be sent: the mail server did not accept the message "
                "(%(why)s). No code was issued; try again later or ask the administrator "
                "to check the mail settings.",
                why=type(exc).__name__,
            )
        ) from exc
    security_event("code_mailed", by=issuer.username, user=user.username)


def _message(user: User, code: str, issuer: User, expires: str) -> EmailMessage:
    cfg = current_app.config
    site = cfg["SITE_NAME"]
    message = EmailMessage()
    message["Subject"] = _("%(site)s: your single-use password code", site=site)
    message["From"] = cfg["MAIL_FROM"] or cfg["MAIL_USERNAME"] or f"{site}@localhost"
    message["To"] = user.email or ""
    domain = parseaddr(str(message["From"]))[1].partition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    lines = [
        _("Hello %(name)s,", name=user.full_name),
        "",
        _(
            "%(issuer)s issued a single-use code for your account %(username)s.",
            issuer=issuer.full_name,
            username=user.username,
        ),
        "",
        "    " + code,
        "",
        _("Use it once, before %(t)s, to choose your own password at:", t=expires),
        _reset_page(),
        "",
        _("If you did not expect this message, tell the study team; do not use the code."),
    ]
    message.set_content("\n".join(lines))
    return message


def _reset_page() -> str:
    """The reset page's address (outside a request, e.g. the CLI, its title only)."""
    if has_request_context():
        return str(url_for("auth.reset_with_code", _external=True))
    return _('the page "Set your password with a code"')


def _deliver(message: EmailMessage) -> None:
    cfg = current_app.config
    host, port, timeout = cfg["MAIL_SERVER"], cfg["MAIL_PORT"], cfg["MAIL_TIMEOUT_SECONDS"]
    context = ssl.create_default_context()
    if cfg["MAIL_USE_TLS"]:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if cfg["MAIL_USE_STARTTLS"] and not cfg["MAIL_USE_TLS"]:
            smtp.starttls(context=context)
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        smtp.send_message(message)
