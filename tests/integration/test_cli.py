"""The flask commands: create-user, demo-data, demo-code, audit-verify."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from studyapp.audit.models import AuditLog
from studyapp.auth.models import User
from studyapp.extensions import db

pytestmark = pytest.mark.both_engines  # raw SQL in the commands


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


@pytest.mark.req("P11-15")
def test_create_user_for_the_first_admin(app):
    result = run(
        app,
        "create-user",
        "--username",
        "Admin.Zhao",
        "--full-name",
        "Zhao Lei",
        "--role",
        "data_manager",
        input="tulip granite ocean\ntulip granite ocean\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "admin.zhao"))
    assert user.must_change_password
    assert user.password_hash.startswith("$argon2id$")
    again = run(
        app,
        "create-user",
        "--username",
        "admin.zhao",
        "--full-name",
        "Other",
        input="tulip granite ocean 2\ntulip granite ocean 2\n",
    )
    assert again.exit_code != 0
    assert "never reused" in again.output


def test_create_user_refuses_a_weak_password(app):
    result = run(
        app,
        "create-user",
        "--username",
        "weak.one",
        "--full-name",
        "Weak",
        "--role",
        "investigator",
        input="password123\npassword123\n",
    )
    assert result.exit_code != 0
    assert "breached" in result.output or "at least" in result.output


def test_demo_data_is_idempotent_and_prints_sign_ins(app):
    first = run(app, "demo-data")
    second = run(app, "demo-data")
    assert first.exit_code == second.exit_code == 0
    for name in ("inv.zhang", "crc.li", "mon.chen", "dm.wang"):
        assert name in first.output
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 4
    code = run(app, "demo-code", "dm.wang")
    assert code.exit_code == 0
    assert code.output.strip().isdigit()
    assert run(app, "demo-code", "inv.zhang").exit_code != 0


@pytest.mark.req("REL-03")
def test_audit_verify_prints_ok_then_names_the_broken_row(app):
    run(app, "demo-data")
    ok = run(app, "audit-verify")
    rows = db.session.scalar(select(db.func.count()).select_from(AuditLog))
    assert ok.exit_code == 0
    assert ok.output.startswith(f"OK: {rows} audit rows")
    db.session.close()
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("UPDATE audit_log SET new_value = 'monitor' WHERE seq = 4"))
    broken = run(app, "audit-verify")
    assert broken.exit_code == 1
    assert "BROKEN at seq 4" in broken.output
