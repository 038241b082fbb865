"""The form status matrix, a visit partly entered, and the subject list's next visit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from studyapp.db import freeze_clock
from studyapp.extensions import db
from tests import factories
from tests.factories import USERNAMES
from tests.integration.test_sdv import DAY1, enrolled
from tests.statements import page_statements

MATRIX = "/visits/matrix"


def as_role(auth, role: str) -> None:
    from studyapp.auth.models import Role

    auth.login(USERNAMES[getattr(Role, role)])


def cell_forms(html: str, visit: str = "D1") -> dict[str, str]:
    """data-form -> data-state of the form links in the first subject's *visit* cell."""
    import re

    start = html.find(f'<td data-visit="{visit}">')
    if start < 0:
        return {}
    cell = html[start : html.index("</td>", start)]
    return dict(re.findall(r'data-form="(\w+)" data-state="(\w+)"', cell))


@pytest.fixture
def subject(app, users):
    """Day 1 dated, with complete vital signs and CBC; bleeding and dosing not entered."""
    return enrolled(users["investigator"])


def test_a_visit_with_forms_missing_is_partly_entered_and_the_matrix_links_to_them(
    client, auth, users, subject
):
    as_role(auth, "COORDINATOR")
    html = client.get(MATRIX).get_data(as_text=True)
    assert 'data-nav="matrix"' in html
    assert cell_forms(html) == {
        "VS": "complete",
        "CBC": "complete",
        "BLEED": "missing",
        "EC": "missing",
    }
    assert "partly entered" in html
    missing = client.get(MATRIX, query_string={"state": "missing"}).get_data(as_text=True)
    assert cell_forms(missing) == {"BLEED": "missing", "EC": "missing"}
    assert f'href="/subjects/{subject.id}/visits/1/bleeding"' in missing
    one = client.get(MATRIX, query_string={"form": "VS", "visit": "D1"}).get_data(as_text=True)
    assert cell_forms(one) == {"VS": "complete"}
    assert cell_forms(html, "SCR")["CHEM"] == "missing"  # screening labs are visit forms too
    assert cell_forms(html, "D8") == {}  # upcoming: no forms yet
    d8 = client.get(MATRIX, query_string={"visit": "D8"}).get_data(as_text=True)
    assert '<td data-visit="D8">' in d8
    assert "upcoming" in d8
    assert '<td data-visit="D1">' not in d8
    none = client.get(MATRIX, query_string={"state": "locked"}).get_data(as_text=True)
    assert "No forms match." in none
    assert client.get(MATRIX, query_string={"state": "nope"}).status_code == 400
    assert client.get(MATRIX, query_string={"form": "AE"}).status_code == 400
    visit = client.get(f"/subjects/{subject.id}/visits/1").get_data(as_text=True)
    assert 'data-testid="visit-outstanding"' in visit
    assert "Bleeding assessment, Dosing and premedication" in visit
    calendar = client.get(f"/subjects/{subject.id}/visits").get_data(as_text=True)
    assert 'data-testid="outstanding-D1"' in calendar
    tracker = client.get("/visits/tracker?show=partly_entered").get_data(as_text=True)
    assert 'data-count="partly_entered">2<' in tracker  # screening and Day 1
    assert f'href="/subjects/{subject.id}/visits/1"' in tracker


def test_the_matrix_downloads_as_an_audited_csv(client, auth, users, subject):
    import csv
    import io

    from sqlalchemy import select

    from studyapp.audit.models import AuditLog
    from tests.factories import csrf_token

    as_role(auth, "COORDINATOR")
    token = csrf_token(client.get(MATRIX).get_data(as_text=True))
    answer = client.post(
        "/reports/operations/csv",
        data={"csrf_token": token, "kind": "form_status", "as_of": DAY1.isoformat()},
    )
    assert answer.status_code == 200
    rows = list(csv.DictReader(io.StringIO(answer.data.decode("utf-8-sig"))))
    day1 = {r["form"]: r["state"] for r in rows if r["visit_code"] == "D1"}
    assert day1 == {"VS": "complete", "CBC": "complete", "BLEED": "missing", "EC": "missing"}
    assert {r["visit_status"] for r in rows if r["visit_code"] == "D1"} == {"partly_entered"}
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "export"))
    assert audit.row_id == "form_status"


def test_the_matrix_csv_keeps_the_filters_shown_and_the_audit_names_them(
    client, auth, users, subject
):
    import csv
    import io
    import json

    from sqlalchemy import select

    from studyapp.audit.models import AuditLog
    from tests.factories import csrf_token

    as_role(auth, "COORDINATOR")
    page = client.get(f"{MATRIX}?state=missing&form=BLEED").get_data(as_text=True)
    button = page.split('data-testid="csv-form_status"')[1].split("</form>")[0]
    assert 'name="state" value="missing"' in button
    assert 'name="form" value="BLEED"' in button
    assert 'name="visit"' not in button
    data = {
        "csrf_token": csrf_token(page),
        "kind": "form_status",
        "as_of": DAY1.isoformat(),
        "state": "missing",
        "form": "BLEED",
    }
    answer = client.post("/reports/operations/csv", data=data)
    assert answer.status_code == 200
    rows = list(csv.DictReader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert rows, "Day 1's bleeding form is missing"
    assert {(r["form"], r["state"]) for r in rows} == {("BLEED", "missing")}
    assert "D1" in {r["visit_code"] for r in rows}
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "export"))
    details = json.loads(audit.new_value)
    assert details["options"] == {"form": "BLEED", "state": "missing"}
    assert details["rows"] == {"form_status": len(rows)}

    unknown = dict(data, state="lost")
    assert client.post("/reports/operations/csv", data=unknown).status_code == 400
    exports = select(AuditLog).where(AuditLog.action == "export")
    assert len(db.session.scalars(exports).all()) == 1  # the refused one made no file


def test_a_form_status_file_asked_with_an_unknown_filter_is_refused_and_not_audited(
    app, users, subject, tmp_path
):
    """The job page and the command pass no filters; a caller that passes a wrong one gets
    the writer's own refusal, not a file of the whole matrix."""
    from sqlalchemy import select

    from studyapp.audit.models import AuditLog
    from studyapp.errors import ValidationFailed
    from studyapp.exports import catalogue, registry, runner

    catalogue.load()
    ctx = registry.ExportContext(actor=users["monitor"], options={"state": "lost"})
    with pytest.raises(ValidationFailed):
        runner.produce("form_status", ctx, tmp_path / "form-status.csv")
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "export")) is None


def test_the_command_writes_the_form_status_csv_under_the_named_account(app, subject, tmp_path):
    import csv
    import io

    from sqlalchemy import select

    from studyapp.audit.models import AuditLog

    out = tmp_path / "form-status.csv"
    args = ["export", "form-status", "--out", str(out), "--as", "mon.user"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert {r["form"]: r["state"] for r in rows if r["visit_code"] == "D1"}["BLEED"] == "missing"
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "export"))
    assert (audit.username, audit.row_id) == ("mon.user", "form_status")


@pytest.mark.parametrize("role", ["INVESTIGATOR", "MONITOR"])
def test_investigators_and_monitors_see_the_matrix(client, auth, users, subject, role):
    as_role(auth, role)
    html = client.get(MATRIX).get_data(as_text=True)
    assert 'data-nav="matrix"' in html
    assert cell_forms(html)["BLEED"] == "missing"


def _statements(client) -> int:
    return page_statements(client, MATRIX)


def test_the_matrix_query_count_does_not_grow_with_subjects(client, auth, users, subject):
    as_role(auth, "COORDINATOR")
    with_one = _statements(client)
    inv = users["investigator"]
    for n in (1, 2):
        later = DAY1 + timedelta(days=7 * n)  # run-in subjects start one at a time
        freeze_clock(datetime.combine(later - timedelta(days=1), datetime.min.time(), UTC))
        other = factories.make_enrolled(inv, later, screened=later - timedelta(days=1))
        freeze_clock(datetime.combine(later, datetime.min.time(), UTC).replace(hour=6))
        factories.save_cbc(inv, other, "1", later, PLAT=20)
        db.session.commit()
    freeze_clock(datetime(2026, 3, 2, 6, 1, tzinfo=UTC))  # the session stays fresh
    html = client.get(MATRIX).get_data(as_text=True)
    assert html.count("<tr data-subject=") == 3
    assert _statements(client) == with_one


def test_the_next_visit_is_the_earliest_open_one(client, auth, users, subject):
    """Day 1 dated; on Day 17 the Day 8 visit (window closed, nothing entered) is overdue and
    comes before the Day 15 visit that is due."""
    from studyapp.subjects import queries

    today = DAY1 + timedelta(days=16)
    freeze_clock(datetime.combine(today, datetime.min.time(), UTC).replace(hour=6))
    assert queries.next_visit(subject).code == "D8"
    as_role(auth, "COORDINATOR")
    html = client.get("/subjects/").get_data(as_text=True)
    row = html[html.index(subject.screening_number) :]
    row = row[: row.index("</tr>")]
    assert "Dose 2 · 2026-03-09" in row  # the Day 8 visit, not Day 15 (due on 2026-03-16)
