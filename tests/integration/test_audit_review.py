"""Audit review (issue 14, item 5): the viewer in words and by subject number, a field's
history one click from the form, and a subject's audit trail as an audited CSV export."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from studyapp.audit import acting_as
from studyapp.audit.models import AuditLog
from studyapp.db import freeze_clock
from studyapp.errors import PermissionDenied
from studyapp.extensions import db
from studyapp.transaction import transaction
from studyapp.visits.vitals import service as vitals
from tests import factories
from tests.integration.exports_helpers import produce, read_csv

DAY1 = date(2026, 3, 2)


def _save_vitals(inv, subject, weight: str, version: int | None, reason: str | None = None):
    values = {"weight": Decimal(weight), "sysbp": 118, "diabp": 76, "pulse": 70}
    with acting_as(inv), transaction():
        return vitals.save(
            inv,
            subject.id,
            "3",
            vitals.VitalsEntry(date(2026, 3, 16), None, values | {"temp": Decimal("36.5")}),
            visit_date=date(2026, 3, 16),
            version=version,
            reason=reason,
        ).id


@pytest.fixture
def subject(app, users):
    """An enrolled subject with vital signs saved, then the weight corrected; a screened one."""
    inv = users["investigator"]
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    first = factories.make_enrolled(inv, DAY1, screened=date(2026, 3, 1))
    factories.screen_subject(inv, screened=date(2026, 3, 1))
    freeze_clock(datetime(2026, 3, 16, 2, 0, tzinfo=UTC))
    _save_vitals(inv, first, "58.3", 0)
    _save_vitals(inv, first, "58.9", 1, reason="scale recalibrated")
    return first


@pytest.mark.req("P11-07", "GCP-06")
def test_the_viewer_names_records_and_fields_in_words_and_filters_by_subject_number(
    client, auth, subject
):
    auth.login("mon.user")
    page = client.get("/audit/", query_string={"subject": f" {subject.label} "})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Vital signs" in html
    assert "Weight (kg)" in html
    assert "changed" in html
    assert "scale recalibrated" in html
    ours = db.session.scalar(
        select(db.func.count()).select_from(AuditLog).where(AuditLog.subject_id == subject.id)
    )
    assert f'data-testid="audit-count">{ours} rows' in html
    other = client.get("/audit/", query_string={"subject": "NOPE-999"})
    assert other.status_code == 400
    assert "No subject has the number NOPE-999." in other.get_data(as_text=True)


@pytest.mark.req("P11-07")
def test_a_field_history_is_one_click_from_the_form(client, auth, subject):
    auth.login("mon.user")
    form = client.get(f"/subjects/{subject.id}/visits/3/vitals").get_data(as_text=True)
    marker = 'data-testid="history-weight"'
    assert marker in form
    link = form.split(marker)[0].rsplit('href="', 1)[1].split('"')[0]
    history = client.get(link.replace("&amp;", "&"))
    assert history.status_code == 200
    text = history.get_data(as_text=True)
    assert "History of Weight (kg)" in text
    assert text.index("58.3") < text.index("58.9")
    assert "scale recalibrated" in text


def test_who_does_not_review_the_audit_trail_gets_no_history_links(client, auth, subject):
    auth.login("inv.user")
    form = client.get(f"/subjects/{subject.id}/visits/3/vitals").get_data(as_text=True)
    assert 'data-testid="history-weight"' not in form


@pytest.mark.req("P11-05", "GCP-06")
def test_the_subject_audit_trail_export_is_labelled_and_audited(app, users, subject, tmp_path):
    path = tmp_path / "trail.csv"
    with transaction():
        result = produce("audit_trail", users["monitor"], path, subject_id=subject.id)
    header, rows = read_csv(path.read_bytes())
    assert header[:3] == ["Sequence", "Time (UTC)", "Time (site)"]
    changed = [r for r in rows if r["field_name"] == "weight" and r["Action"] == "changed"]
    assert len(changed) == 1
    assert changed[0]["Field"] == "Weight (kg)"
    assert changed[0]["Record"].startswith("Vital signs")
    assert (changed[0]["Old value"], changed[0]["New value"]) == ("58.3", "58.9")
    assert changed[0]["Reason"] == "scale recalibrated"
    assert changed[0]["Time (UTC)"].endswith("Z")
    mine = db.session.scalar(
        select(db.func.count()).select_from(AuditLog).where(AuditLog.subject_id == subject.id)
    )
    assert len(rows) == result.rows["audit_rows"] == mine
    event = db.session.scalar(select(AuditLog).where(AuditLog.action == "export"))
    details = json.loads(event.new_value)
    assert (event.username, event.row_id) == ("mon.user", "audit_trail")
    assert details["subject_id"] == subject.id
    assert details["rows"] == {"audit_rows": mine}


@pytest.mark.parametrize("role", ["investigator", "coordinator"])
def test_only_who_reviews_the_audit_trail_exports_it(app, users, subject, tmp_path, role):
    with pytest.raises(PermissionDenied), transaction():
        produce("audit_trail", users[role], tmp_path / "x.csv", subject_id=subject.id)


def test_the_command_exports_a_subject_audit_trail(app, users, subject, tmp_path):
    out = tmp_path / "trail.csv"
    args = ["export", "audit-trail", "--subject", subject.label, "--out", str(out)]
    answer = app.test_cli_runner().invoke(args=[*args, "--as", "mon.user"])
    assert answer.exit_code == 0, answer.output
    assert read_csv(out.read_bytes())[1]
    missing = app.test_cli_runner().invoke(
        args=["export", "audit-trail", "--out", str(out), "--as", "mon.user"]
    )
    assert missing.exit_code != 0
    assert "--subject" in missing.output


def _newest(subject_id: int) -> int:
    return db.session.scalar(
        select(db.func.max(AuditLog.seq)).where(AuditLog.subject_id == subject_id)
    )


@pytest.mark.req("GCP-03")
def test_a_new_change_reappears_after_the_review(client, auth, users, subject):
    auth.login("mon.user")
    before = client.get("/audit/").get_data(as_text=True)
    assert 'data-testid="changed-since-review"' in before
    assert subject.label in before.split('data-testid="changed-since-review"')[1]
    page = client.get("/audit/", query_string={"subject": subject.label}).get_data(as_text=True)
    assert "Not reviewed yet." in page
    upto = _newest(subject.id)
    done = auth.post("/audit/reviewed", {"subject_id": subject.id, "upto": upto}, page="/audit/")
    assert done.status_code == 302
    review = db.session.scalar(select(AuditLog).where(AuditLog.action == "review"))
    assert (review.username, review.subject_id) == ("mon.user", subject.id)
    assert review.row_id == str(upto)
    since = {"subject_id": subject.id, "since_review": "y"}
    assert 'data-testid="audit-count">0 rows' in client.get("/audit/", query_string=since).text
    listed = client.get("/audit/").get_data(as_text=True).split('data-testid="audit-count"')[0]
    assert f">{subject.label}</a>" not in listed
    _save_vitals(users["investigator"], subject, "59.4", 2, reason="re-weighed")
    again = client.get("/audit/", query_string=since).get_data(as_text=True)
    assert 'data-testid="audit-count">1 rows' in again
    assert "re-weighed" in again
    assert "Last reviewed by mon.user" in again
    assert f">{subject.label}</a>" in client.get("/audit/").get_data(as_text=True)


def test_a_review_beyond_the_trail_or_of_nothing_is_refused(client, auth, subject):
    auth.login("mon.user")
    beyond = _newest(subject.id) + 10
    ask = {"subject_id": subject.id, "upto": beyond}
    answer = auth.post("/audit/reviewed", ask, page="/audit/")
    assert answer.status_code == 302
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "review")) is None
    bad = auth.post("/audit/reviewed", {"subject_id": "x", "upto": "１２"}, page="/audit/")
    assert bad.status_code == 400


def test_who_does_not_review_the_audit_trail_cannot_mark_it_reviewed(client, auth, subject):
    auth.login("inv.user")
    upto = _newest(subject.id)
    answer = auth.post("/audit/reviewed", {"subject_id": subject.id, "upto": upto}, page="/")
    assert answer.status_code == 403
