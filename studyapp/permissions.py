"""The one role x action matrix (P11-09). Services call ``require``; views never decide.

Adding a feature means adding its actions here and granting them to roles; every check
in the application reads this table.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l

from studyapp.errors import PermissionDenied


class Role(StrEnum):
    INVESTIGATOR = "investigator"
    COORDINATOR = "coordinator"
    MONITOR = "monitor"
    DATA_MANAGER = "data_manager"


ROLE_LABELS = {
    Role.INVESTIGATOR: _l("Investigator"),
    Role.COORDINATOR: _l("Study coordinator"),
    Role.MONITOR: _l("Monitor"),
    Role.DATA_MANAGER: _l("Data manager"),
}

#: Roles that must use a second factor (SEC-03).
TOTP_REQUIRED = frozenset({Role.DATA_MANAGER})


class Action(StrEnum):
    VIEW_STUDY_DATA = "view_study_data"
    ENTER_DATA = "enter_data"
    SCREEN_SUBJECTS = "screen_subjects"
    ENROL_SUBJECTS = "enrol_subjects"
    MANAGE_SCHEDULE = "manage_schedule"
    RECORD_SAFETY = "record_safety"
    RECORD_DISPOSITION = "record_disposition"
    REVIEW_DLT = "review_dlt"
    JUDGE_ELIGIBILITY = "judge_eligibility"
    SIGN = "sign"
    RAISE_QUERY = "raise_query"
    ANSWER_QUERY = "answer_query"
    VERIFY_DATA = "verify_data"
    LOCK_DATA = "lock_data"
    EXPORT_DATA = "export_data"
    VIEW_REPORTS = "view_reports"
    VIEW_AUDIT = "view_audit"
    ANCHOR_AUDIT = "anchor_audit"
    MANAGE_USERS = "manage_users"


ACTION_LABELS = {
    Action.VIEW_STUDY_DATA: _l("view study data"),
    Action.ENTER_DATA: _l("enter and correct visit data"),
    Action.SCREEN_SUBJECTS: _l("screen candidates"),
    Action.ENROL_SUBJECTS: _l("enrol subjects"),
    Action.MANAGE_SCHEDULE: _l("manage the visit schedule"),
    Action.RECORD_SAFETY: _l("record adverse events"),
    Action.RECORD_DISPOSITION: _l("record withdrawal, loss to follow-up, completion or death"),
    Action.REVIEW_DLT: _l("review and sign the safety run-in DLT review"),
    Action.JUDGE_ELIGIBILITY: _l("answer the eligibility criteria judged by the investigator"),
    Action.SIGN: _l("sign casebooks electronically"),
    Action.RAISE_QUERY: _l("raise data queries"),
    Action.ANSWER_QUERY: _l("answer data queries"),
    Action.VERIFY_DATA: _l("verify data against source (SDV)"),
    Action.LOCK_DATA: _l("lock data"),
    Action.EXPORT_DATA: _l("export data and reports"),
    Action.VIEW_REPORTS: _l("make the study safety report and casebooks (PDF)"),
    Action.VIEW_AUDIT: _l("review the audit trail"),
    Action.ANCHOR_AUDIT: _l("write signed checkpoints of the audit trail"),
    Action.MANAGE_USERS: _l("manage user accounts and roles"),
}

PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.INVESTIGATOR: frozenset(
        {
            Action.VIEW_STUDY_DATA,
            Action.ENTER_DATA,
            Action.SCREEN_SUBJECTS,
            Action.ENROL_SUBJECTS,
            Action.RECORD_SAFETY,
            Action.RECORD_DISPOSITION,
            Action.REVIEW_DLT,
            Action.JUDGE_ELIGIBILITY,
            Action.SIGN,
            Action.ANSWER_QUERY,
            Action.VIEW_REPORTS,
        }
    ),
    Role.COORDINATOR: frozenset(
        {
            Action.VIEW_STUDY_DATA,
            Action.ENTER_DATA,
            Action.SCREEN_SUBJECTS,
            Action.ENROL_SUBJECTS,
            Action.MANAGE_SCHEDULE,
            Action.RECORD_DISPOSITION,
            Action.ANSWER_QUERY,
        }
    ),
    Role.MONITOR: frozenset(
        {
            Action.VIEW_STUDY_DATA,
            Action.RAISE_QUERY,
            Action.VERIFY_DATA,
            Action.LOCK_DATA,
            Action.EXPORT_DATA,
            Action.VIEW_REPORTS,
            Action.VIEW_AUDIT,
        }
    ),
    Role.DATA_MANAGER: frozenset(
        {
            Action.VIEW_STUDY_DATA,
            Action.RAISE_QUERY,
            Action.EXPORT_DATA,
            Action.VIEW_REPORTS,
            Action.MANAGE_USERS,
            Action.VIEW_AUDIT,
            Action.ANCHOR_AUDIT,
            Action.LOCK_DATA,
        }
    ),
}


def can(user: Any, action: Action) -> bool:
    """Whether ``user`` (active, logged in) may perform ``action``."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not getattr(user, "active", False):
        return False
    try:
        role = Role(user.role)
    except ValueError:
        return False
    return action in PERMISSIONS[role]


def require(user: Any, action: Action) -> None:
    """Raise PermissionDenied (HTTP 403) unless ``user`` may perform ``action``."""
    if not can(user, action):
        raise PermissionDenied(f"Your role may not {action.value.replace('_', ' ')}.")
