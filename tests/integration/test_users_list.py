"""The authorised-user list (CN-01): exportable by the data manager, audited as an export,
and matching the accounts and their audited status changes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from studyapp.audit import acting_as
from studyapp.audit.models import AuditLog
from studyapp.auth import admin
from studyapp.auth.models import User
from studyapp.db import freeze_clock
from studyapp.errors import PermissionDenied
from studyapp.extensions import db
from studyapp.transaction import transaction
from tests.integration.exports_helpers import produce, read_csv


@pytest.mark.req("CN-01")
def test_the_list_matches_the_accounts_and_their_audited_status(app, users, tmp_path):
    monitor = users["monitor"]
    freeze_clock(datetime(2026, 5, 4, 6, 30, tzinfo=UTC))
    with acting_as(users["data_manager"]), transaction():
        admin.set_active(users["data_manager"], monitor.id, False, "left the study")
    freeze_clock(None)
    path = tmp_path / "users.csv"
    with transaction():
        result = produce("users", users["data_manager"], path)
    _header, rows = read_csv(path.read_bytes())
    accounts = list(db.session.scalars(select(User).order_by(User.username)))
    assert [r["Username"] for r in rows] == [u.username for u in accounts]
    assert result.rows == {"accounts": len(accounts)}
    by_name = {r["Username"]: r for r in rows}
    gone = by_name[monitor.username]
    assert (gone["Active"], gone["role"], gone["Role"]) == ("N", "monitor", "Monitor")
    assert gone["Active or inactive since (UTC)"] == "2026-05-04T06:30:00Z"
    investigator = by_name[users["investigator"].username]
    assert investigator["Active"] == "Y"
    assert investigator["Active or inactive since (UTC)"].endswith("Z")
    event = db.session.scalar(select(AuditLog).where(AuditLog.action == "export"))
    assert (event.username, event.row_id) == (users["data_manager"].username, "users")
    assert json.loads(event.new_value)["rows"] == {"accounts": len(accounts)}


@pytest.mark.parametrize("role", ["monitor", "investigator", "coordinator"])
def test_only_the_data_manager_exports_the_user_list(app, users, tmp_path, role):
    with pytest.raises(PermissionDenied), transaction():
        produce("users", users[role], tmp_path / "users.csv")


def test_the_data_manager_reaches_it_from_the_user_page(client, auth, users):
    auth.login("dm.user")
    page = client.get("/admin/users/").get_data(as_text=True)
    assert 'data-testid="users-export-link"' in page
    exports = client.get("/reports/").get_data(as_text=True)
    assert 'data-testid="export-users"' in exports
