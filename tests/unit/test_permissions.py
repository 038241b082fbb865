"""The role x action matrix (P11-09): exactly what each role may do."""

from types import SimpleNamespace

import pytest

from studyapp.errors import PermissionDenied
from studyapp.permissions import PERMISSIONS, Action, Role, can, require


def user(role: str, active: bool = True) -> SimpleNamespace:
    return SimpleNamespace(role=role, active=active, is_authenticated=True)


EXPECTED = {
    Role.INVESTIGATOR: {
        "view_study_data",
        "enter_data",
        "screen_subjects",
        "enrol_subjects",
        "record_safety",
        "record_disposition",
        "review_dlt",
        "judge_eligibility",
        "sign",
        "answer_query",
        "view_reports",
    },
    Role.COORDINATOR: {
        "view_study_data",
        "enter_data",
        "screen_subjects",
        "enrol_subjects",
        "manage_schedule",
        "record_disposition",
        "answer_query",
    },
    Role.MONITOR: {
        "view_study_data",
        "raise_query",
        "verify_data",
        "lock_data",
        "export_data",
        "view_reports",
        "view_audit",
    },
    Role.DATA_MANAGER: {
        "view_study_data",
        "raise_query",
        "export_data",
        "view_reports",
        "manage_users",
        "view_audit",
        "anchor_audit",
        "lock_data",
    },
}


@pytest.mark.req("P11-09")
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_matrix(role, action):
    allowed = action.value in EXPECTED[role]
    assert can(user(role.value), action) is allowed
    if allowed:
        require(user(role.value), action)
    else:
        with pytest.raises(PermissionDenied):
            require(user(role.value), action)


@pytest.mark.req("P11-09")
def test_only_investigators_sign_and_monitors_never_edit():
    signers = {r for r, actions in PERMISSIONS.items() if Action.SIGN in actions}
    assert signers == {Role.INVESTIGATOR}
    assert Action.ENTER_DATA not in PERMISSIONS[Role.MONITOR]
    assert PERMISSIONS[Role.DATA_MANAGER] <= {
        Action.VIEW_STUDY_DATA,
        Action.EXPORT_DATA,
        Action.VIEW_REPORTS,
        Action.MANAGE_USERS,
        Action.VIEW_AUDIT,
        Action.ANCHOR_AUDIT,
        Action.RAISE_QUERY,  # raises, closes and re-opens data queries (issue 14)
        Action.LOCK_DATA,  # freezes and locks data (issue 14), as the monitor may
    }


@pytest.mark.parametrize(
    "who",
    [
        None,
        SimpleNamespace(is_authenticated=False),
        user("investigator", active=False),
        user("surgeon"),
    ],
    ids=["none", "anonymous", "inactive", "unknown-role"],
)
def test_nobody_else_may_do_anything(who):
    assert not any(can(who, action) for action in Action)
