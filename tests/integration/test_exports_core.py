"""The path every report and export takes (studyapp.exports): the page asks, a job makes the
file, the maker downloads it, and the audit trail records who, what, the cut-off, the row
counts and the file's SHA-256 (P11-05). Checked with a small kind registered for the test."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from studyapp.audit.models import AuditLog
from studyapp.db import site_today
from studyapp.exports import registry
from studyapp.extensions import db
from studyapp.permissions import Action

pytestmark = pytest.mark.req("P11-05")


def _write(ctx, out):
    out.write(f"cut-off {ctx.cutoff}; lang {ctx.locale}\n".encode())
    return {"lines": 1}


@pytest.fixture
def kind(app, monkeypatch):
    export = registry.Export(
        kind="probe",
        label="Probe",
        group="data",
        action=Action.EXPORT_DATA,
        suffix=".txt",
        mimetype="text/plain",
        write=_write,
    )
    monkeypatch.setitem(registry.EXPORTS, "probe", export)
    return export


def _ask(auth, **data):
    return auth.post("/reports/", {"kind": "probe", **data}, page="/reports/")


def test_monitor_makes_downloads_and_the_export_is_audited(app, users, auth, client, kind):
    auth.login("mon.user")
    cutoff = site_today() - timedelta(days=3)
    asked = _ask(auth, cutoff=cutoff.isoformat())
    assert asked.status_code == 302
    page = client.get(asked.headers["Location"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="download"' in html
    link = html.split('data-testid="download"')[0].rsplit('href="', 1)[1].split('"')[0]
    got = client.get(link)
    assert got.status_code == 200
    assert got.data == f"cut-off {cutoff}; lang en\n".encode()
    assert "attachment" in got.headers["Content-Disposition"]
    got.close()
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "export"))
    details = json.loads(row.new_value)
    assert (row.username, row.role, row.row_id) == ("mon.user", "monitor", "probe")
    assert details["sha256"] == hashlib.sha256(got.data).hexdigest()
    assert details["rows"] == {"lines": 1}
    assert details["cutoff"] == cutoff.isoformat()
    assert details["file"].endswith(f"_probe_{cutoff}.txt")


def test_only_the_maker_downloads(app, users, auth, client, kind):
    auth.login("mon.user")
    location = _ask(auth).headers["Location"]
    auth.logout()
    auth.login("dm.user")
    assert client.get(location).status_code == 404
    assert client.get(location + "/file").status_code == 404


@pytest.mark.parametrize("role", ["crc.user"])
def test_a_coordinator_cannot_export(app, users, auth, client, kind, role):
    auth.login(role)
    assert client.get("/reports/").status_code == 403
    token = auth.token("/")
    answer = client.post("/reports/", data={"csrf_token": token, "kind": "probe"})
    assert answer.status_code == 403
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "export")) is None


@pytest.mark.parametrize(
    ("cutoff", "message"),
    [
        ("2999-01-01", "cannot be in the future"),
        ("abc", "YYYY-MM-DD"),
        ("   ", None),
    ],
)
def test_bad_cutoff_is_told_next_to_the_field(app, users, auth, kind, cutoff, message):
    auth.login("mon.user")
    answer = _ask(auth, cutoff=cutoff)
    if message is None:  # blank: no cut-off, all data
        assert answer.status_code == 302
        return
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert message in html
    assert f'value="{cutoff}"' in html


def test_unknown_kind_is_404(app, users, auth, kind):
    auth.login("mon.user")
    assert _ask(auth, kind="nope").status_code == 404
