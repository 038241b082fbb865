"""User administration from the data manager's page (P11-15, GCP-02, GCP-04, GCP-05, REL-01)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from studyapp.audit.models import AuditLog
from studyapp.auth.models import User
from studyapp.extensions import db
from tests.factories import AuthActions, csrf_token


def audit(action: str) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action)))


def edit_form(client, user_id: int) -> tuple[str, dict]:
    page = client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    user = db.session.get(User, user_id)
    db.session.refresh(user)
    return csrf_token(page), {
        "full_name": user.full_name,
        "email": user.email or "",
        "role": user.role,
        "version": str(user.version),
    }


@pytest.mark.req("P11-15", "GCP-04")
def test_create_user_records_identity_check_and_refuses_a_retired_name(client, users, auth):
    auth.login("dm.user")
    fields = {
        "username": "Dr.Lin",
        "full_name": "Dr Lin Tao",
        "email": "",
        "role": "monitor",
        "identity_verification": "staff card seen in person",
    }
    response = auth.post("/admin/users/new", fields)
    assert response.status_code == 200
    user = db.session.scalar(select(User).where(User.username == "dr.lin"))
    assert user.identity_verified_by_id == users["data_manager"].id
    assert user.identity_verification == "staff card seen in person"
    assert user.must_change_password
    assert [e.new_value for e in audit("user_created")] == ["monitor"]
    token, _ = edit_form(client, user.id)
    client.post(
        f"/admin/users/{user.id}/deactivate",
        data={"csrf_token": token, "reason": "left the study team"},
    )
    again = auth.post("/admin/users/new", {**fields, "username": "dr.lin"})
    assert again.status_code == 422
    assert "never reused" in again.get_data(as_text=True)
    assert 'value="Dr Lin Tao"' in again.get_data(as_text=True)  # what was typed is kept


@pytest.mark.req("GCP-02")
def test_edit_without_a_reason_is_refused_with_a_field_message(client, users, auth):
    auth.login("dm.user")
    target = users["monitor"].id
    token, form = edit_form(client, target)
    response = client.post(
        f"/admin/users/{target}", data={"csrf_token": token, **form, "role": "coordinator"}
    )
    assert response.status_code == 422
    assert "Give a reason for this change." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, target).role == "monitor"


@pytest.mark.req("GCP-04", "GCP-05", "P11-05")
def test_role_change_is_audited_and_ends_the_users_sessions_on_every_node(
    make_app, app, client, users, auth
):
    other_node = make_app().test_client()
    AuthActions(other_node).login("mon.user")
    assert other_node.get("/audit/").status_code == 200
    auth.login("dm.user")
    target = users["monitor"].id
    token, form = edit_form(client, target)
    response = client.post(
        f"/admin/users/{target}",
        data={"csrf_token": token, **form, "role": "coordinator", "reason": "moved to site team"},
    )
    assert response.status_code == 302
    (change,) = audit("role_change")
    assert (change.old_value, change.new_value, change.username) == (
        "monitor",
        "coordinator",
        "dm.user",
    )
    field_row = db.session.scalar(
        select(AuditLog).where(AuditLog.action == "update", AuditLog.field == "role")
    )
    assert field_row.reason == "moved to site team"
    assert other_node.get("/audit/").status_code == 302
    assert other_node.post("/logout").status_code in (400, 401)


@pytest.mark.req("GCP-05", "GCP-04")
def test_deactivation_applies_at_the_next_request_on_another_node(make_app, client, users, auth):
    node_b = make_app().test_client()
    AuthActions(node_b).login("inv.user")
    assert node_b.get("/").status_code == 200
    auth.login("dm.user")
    token, _ = edit_form(client, users["investigator"].id)
    client.post(
        f"/admin/users/{users['investigator'].id}/deactivate",
        data={"csrf_token": token, "reason": "left the hospital"},
    )
    response = node_b.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert AuthActions(node_b).login("inv.user").status_code == 401
    assert audit("user_deactivated")[0].reason == "left the hospital"


@pytest.mark.req("REL-01")
@pytest.mark.both_engines  # the versioned UPDATE outside the CRF core
def test_a_stale_edit_gets_409_with_the_other_change_and_writes_nothing(
    make_app, client, users, auth
):
    auth.login("dm.user")
    second_dm = make_app().test_client()
    from tests.factories import make_user

    make_user("dm.two", "data_manager")
    AuthActions(second_dm).login("dm.two")
    target = users["coordinator"].id
    token_a, form_a = edit_form(client, target)
    token_b, form_b = edit_form(second_dm, target)
    first = second_dm.post(
        f"/admin/users/{target}",
        data={"csrf_token": token_b, **form_b, "full_name": "Li Na (CRC)", "reason": "title"},
    )
    assert first.status_code == 302
    before = db.session.scalar(select(db.func.count()).select_from(AuditLog))
    stale = client.post(
        f"/admin/users/{target}",
        data={"csrf_token": token_a, **form_a, "full_name": "Li Na Senior", "reason": "promo"},
    )
    assert stale.status_code == 409
    body = stale.get_data(as_text=True)
    assert "Li Na (CRC)" in body
    assert "Li Na Senior" in body
    db.session.expire_all()
    assert db.session.get(User, target).full_name == "Li Na (CRC)"
    assert db.session.scalar(select(db.func.count()).select_from(AuditLog)) == before


def test_reset_code_and_unlock_need_a_reason(client, users, auth):
    auth.login("dm.user")
    target = users["investigator"].id
    token, _ = edit_form(client, target)
    no_reason = client.post(f"/admin/users/{target}/reset-code", data={"csrf_token": token})
    assert no_reason.status_code == 302
    issued = client.post(
        f"/admin/users/{target}/reset-code", data={"csrf_token": token, "reason": "forgot password"}
    )
    assert issued.status_code == 200
    assert 'data-testid="setup-code"' in issued.get_data(as_text=True)
    unlocked = client.post(
        f"/admin/users/{target}/unlock",
        data={"csrf_token": token, "reason": "called the help desk"},
    )
    assert unlocked.status_code == 302
    assert [e.reason for e in audit("unlocked")] == ["called the help desk"]
    listing = client.get("/admin/users/").get_data(as_text=True)
    assert "inv.user" in listing


def test_cannot_deactivate_yourself(client, users, auth):
    auth.login("dm.user")
    me = users["data_manager"].id
    token, _ = edit_form(client, me)
    client.post(f"/admin/users/{me}/deactivate", data={"csrf_token": token, "reason": "x"})
    db.session.expire_all()
    assert db.session.get(User, me).active


def test_unknown_user_is_404(client, users, auth):
    auth.login("dm.user")
    assert client.get("/admin/users/9999").status_code == 404


@pytest.mark.req("SEC-10")
def test_text_fields_render_escaped(client, users, auth):
    auth.login("dm.user")
    auth.post(
        "/admin/users/new",
        {
            "username": "xss.test",
            "full_name": "<script>alert(1)</script>",
            "email": "",
            "role": "monitor",
            "identity_verification": "<b>seen</b>",
        },
    )
    listing = client.get("/admin/users/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in listing
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing
    audit_page = client.get("/audit/", query_string={"table_name": "user"}).get_data(as_text=True)
    assert "<b>seen</b>" not in audit_page
