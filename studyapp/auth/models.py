"""Accounts. Users are never deleted and usernames never reused (P11-15)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from studyapp.db import AuditedMixin, UTCDateTime
from studyapp.extensions import db
from studyapp.permissions import TOTP_REQUIRED, Role


class User(AuditedMixin, db.Model):
    __tablename__ = "user"

    #: Login bookkeeping: changes are not clinical data and need no reason.
    __audit_ignore__: ClassVar[frozenset[str]] = frozenset(
        {
            "failed_logins",
            "lock_count",
            "locked_until",
            "last_login_at",
            "session_epoch",
            "totp_last_step",
            "locale",
            "password_code_notice",
        }
    )
    #: Secrets: the trail records that they changed, never their values.
    __audit_redact__: ClassVar[frozenset[str]] = frozenset(
        {"password_hash", "totp_secret", "reset_code_hash"}
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Lower case, unique for ever: a deactivated account keeps its name (P11-15).
    username: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    #: Printed name used in signatures (P11-13).
    full_name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    #: How and by whom the person's identity was checked before the account was made.
    identity_verification: Mapped[str | None] = mapped_column(Text)
    identity_verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    #: Hash of the single-use set-up/reset code and when it stops working (P11-17).
    reset_code_hash: Mapped[str | None] = mapped_column(String(255))
    reset_code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Who issued the pending code, and when: the trail and the user know (P11-17).
    reset_code_issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reset_code_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Issuer and issue time of the code that set the current password (None once the
    #: user chooses a password themselves); the notice shows at the next sign-in.
    password_code_issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    password_code_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_code_notice: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    failed_logins: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    lock_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Bumped on logout, deactivation, role or password change: every older session cookie,
    #: on every node, stops working at its next request (GCP-05).
    session_epoch: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locale: Mapped[str | None] = mapped_column(String(10))

    # Flask-Login interface.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    @property
    def totp_required(self) -> bool:
        return Role(self.role) in TOTP_REQUIRED

    @property
    def role_label(self) -> str:
        from studyapp.permissions import ROLE_LABELS

        return str(ROLE_LABELS[Role(self.role)])

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"
