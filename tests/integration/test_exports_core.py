"""The path every report and export takes (studyapp.exports): the page asks, a job makes the
file, the maker downloads it, and the audit trail records who, what, the cut-off, the row
counts and the file's SHA-256 (P11-05). Checked with a small kind registered for the test."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from studyapp.audit.models import AuditLog
from studyapp.db import site_today
from studyapp.exports import registry
from studyapp.extensions import db
from studyapp.permissions import Action

pytestmark = [
    pytest.mark.req("P11-05"),
    pytest.mark.both_engines,  # streamed reads (server-side cursors on PostgreSQL)
]


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


def test_a_job_in_a_thread_reports_progress_and_is_audited_once(
    app, users, auth, client, kind, monkeypatch
):
    """Outside Testing the file is made in a thread after the answer: progress is written
    as it goes, and the file and its one audit row are there at the end."""
    from studyapp.exports import jobs

    seen = []

    def write(ctx, out):
        for n in range(3):
            ctx.progress(n, 3)
            seen.append(n)
        out.write(b"made in a thread")
        return {"lines": 3}

    monkeypatch.setitem(registry.EXPORTS, "probe", replace(kind, write=write))
    started = []
    real_spawn = jobs.spawn
    monkeypatch.setattr(jobs, "spawn", lambda *a: started.append(real_spawn(*a)))
    monkeypatch.setitem(app.config, "EXPORT_INLINE", False)
    auth.login("mon.user")
    asked = _ask(auth)
    asked.close()  # the thread starts once the answer is sent
    db.session.rollback()  # in production the request's session ends with its context
    for thread in started:
        thread.join(timeout=30)
    assert len(started) == 1
    assert seen == [0, 1, 2]
    db.session.rollback()
    job = db.session.scalar(select(jobs.ExportJob))
    assert job.status == jobs.DONE, job.error
    assert (job.done, job.total) == (3, 3)
    got = client.get(f"/reports/jobs/{job.token}/file")
    assert got.data == b"made in a thread"
    got.close()
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "export")).all()
    assert len(rows) == 1
    assert rows[0].username == "mon.user"


def test_a_failing_writer_is_told_on_the_job_page_and_audits_nothing(
    app, users, auth, client, kind, monkeypatch
):
    def write(ctx, out):
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(registry.EXPORTS, "probe", replace(kind, write=write))
    auth.login("mon.user")
    page = client.get(_ask(auth).headers["Location"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="job-error"' in html
    assert "disk on fire" not in html
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "export")) is None


def test_a_job_left_running_by_a_stopped_node_is_told_as_interrupted(
    app, users, auth, client, monkeypatch
):
    from datetime import UTC, datetime

    from studyapp.db import freeze_clock
    from studyapp.exports import jobs
    from studyapp.transaction import transaction

    monkeypatch.setitem(app.config, "EXPORT_STALE_MINUTES", 10)
    freeze_clock(datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
    with transaction():
        job = jobs.ExportJob(token="t" * 20, kind="csv", user_id=users["monitor"].id)
        job.status = jobs.RUNNING
        db.session.add(job)
    auth.login("mon.user")
    page = client.get("/reports/jobs/" + "t" * 20).get_data(as_text=True)
    assert 'http-equiv="refresh"' in page
    freeze_clock(datetime(2026, 3, 1, 8, 11, tzinfo=UTC))
    page = client.get("/reports/jobs/" + "t" * 20).get_data(as_text=True)
    assert 'data-testid="job-interrupted"' in page
    assert 'http-equiv="refresh"' not in page
    freeze_clock(None)


@pytest.mark.req("SEC-12")
def test_exports_are_rate_limited(app, users, auth, client, kind, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_RATE_LIMIT", "2 per minute")
    auth.login("mon.user")
    assert _ask(auth).status_code == 302
    assert _ask(auth).status_code == 302
    third = _ask(auth)
    assert third.status_code == 429
    assert int(third.headers["Retry-After"]) > 0


def test_the_command_writes_an_operational_csv_under_the_named_account(app, users, tmp_path):
    out = tmp_path / "enrolment.csv"
    args = ["export", "enrolment", "--out", str(out), "--as", "mon.user"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "export"))
    assert (row.username, row.row_id) == ("mon.user", "enrolment")
    refused = app.test_cli_runner().invoke(
        args=["export", "enrolment", "--out", str(out), "--as", "nobody"]
    )
    assert refused.exit_code != 0
