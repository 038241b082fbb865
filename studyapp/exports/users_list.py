"""The authorised-user list (CN-01): every account, who created it and verified its holder's
identity, its role, whether it is active now and since when, and its last sign-in; as CSV, made
by the data manager through the export runner (so the file is audited as an export).

"Active since" / "deactivated at" come from the audit trail: the time of the latest audited
change of the account's ``active`` flag (its creation when it never changed).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from studyapp.audit.models import AuditLog
from studyapp.auth.models import User
from studyapp.exports import csvfile, registry
from studyapp.exports.registry import Export, ExportContext
from studyapp.extensions import db
from studyapp.permissions import ROLE_LABELS, Action, Role, require


def header() -> list[str]:
    return [
        _("Username"),
        _("Full name"),
        _("Role"),
        "role",
        _("Active"),
        _("Active or inactive since (UTC)"),
        _("Account created (UTC)"),
        _("Created by"),
        _("Identity verified by"),
        _("Identity verification"),
        _("Second factor"),
        _("Last sign-in (UTC)"),
    ]


def _active_changes() -> dict[str, datetime]:
    """User row id -> when its ``active`` flag last changed (audited)."""
    query = (
        select(AuditLog.row_id, func.max(AuditLog.ts))
        .where(AuditLog.table_name == "user", AuditLog.field == "active")
        .where(AuditLog.action == "update")
        .group_by(AuditLog.row_id)
    )
    return {str(row_id): ts for row_id, ts in db.session.execute(query)}


def _rows() -> Iterator[list[Any]]:
    users = list(db.session.scalars(select(User).order_by(User.username)))
    names = {u.id: u.username for u in users}
    changed = _active_changes()
    for u in users:
        yield [
            u.username,
            u.full_name,
            str(ROLE_LABELS[Role(u.role)]),
            u.role,
            u.active,
            changed.get(str(u.id), u.created_at),
            u.created_at,
            names.get(u.created_by_id or 0, ""),
            names.get(u.identity_verified_by_id or 0, ""),
            u.identity_verification,
            u.totp_enabled,
            u.last_login_at,
        ]


def write_users(ctx: ExportContext, out: BinaryIO) -> dict[str, int]:
    require(ctx.actor, Action.MANAGE_USERS)
    ctx.progress(0, 1)
    count = csvfile.write(out, header(), _rows())
    ctx.progress(1, 1)
    return {"accounts": count}


USERS = registry.register(
    Export(
        kind="users",
        label=_l("Authorised-user list (CSV)"),
        group="data",
        action=Action.MANAGE_USERS,
        suffix=".csv",
        mimetype="text/csv",
        write=write_users,
        description=_l(
            "Every account: role, active or not and since when, who created it and verified "
            "the holder's identity, second factor and last sign-in."
        ),
        subject=None,
        cutoff=False,
    )
)
