"""The operational reports (/reports/operations): enrolment over time, visit compliance and
forms missing per visit, counted by hand on a small study, on the page with their SVG charts,
as audited CSV files, with a query count that does not grow with the subjects."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from studyapp.audit import acting_as
from studyapp.audit.models import AuditLog
from studyapp.db import freeze_clock
from studyapp.exports.operations.compliance import compliance
from studyapp.exports.operations.enrolment import enrolment
from studyapp.exports.operations.missing import missing_forms
from studyapp.extensions import db
from studyapp.permissions import PERMISSIONS, Action, Role
from studyapp.subjects import queries as dashboard
from studyapp.subjects import services as subjects
from studyapp.transaction import transaction
from studyapp.visits.schedule import matrix, walk
from studyapp.visits.schedule import service as schedule
from studyapp.visits.schedule import tracker as tracker_module
from studyapp.visits.schedule.tracker import tracker
from tests import factories
from tests.factories import csrf_token
from tests.statements import page_statements, statements_of

AS_OF = date(2026, 3, 20)
PAGE = "/reports/operations"


def _at(day: date) -> None:
    """Freeze the clock at 09:00 at the site (01:00 UTC) on *day*."""
    freeze_clock(datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC))


def _enrol(inv, screened: date, day1: date):
    _at(screened)
    return factories.make_enrolled(inv, day1, screened=screened)


def _fail(inv, screened: date):
    _at(screened)
    subject = factories.screen_subject(inv, screened=screened)
    with acting_as(inv), transaction():
        subjects.screen_fail(inv, subject.id, "platelets above the limit")
    return subject


def _not_done(crc, subject, visitnum: str) -> None:
    with acting_as(crc), transaction():
        schedule.mark_not_done(crc, subject.id, visitnum, "patient travelling")


@pytest.fixture
def study(app, users):
    """D screened in February (still screening); in March A and B enrolled, C screen-failed.

    On 2026-03-20: A did Day 1 (CBC, draft dose) in window, Day 8 on 03-12 (out of its
    window 03-08..03-10; CBC) and missed Day 15; B did Day 1 (CBC), its Day 8 window
    (03-15..03-17) has closed (overdue) and Day 15 (03-22..03-24) is upcoming.
    """
    inv, crc = users["investigator"], users["coordinator"]
    _at(date(2026, 2, 10))
    d = factories.screen_subject(inv, screened=date(2026, 2, 10))
    a = _enrol(inv, date(2026, 3, 1), date(2026, 3, 2))
    c = _fail(inv, date(2026, 3, 1))
    b = _enrol(inv, date(2026, 3, 8), date(2026, 3, 9))
    _at(AS_OF)
    factories.save_cbc(inv, a, "1", date(2026, 3, 2), PLAT=20)
    factories.give_dose(inv, a, "1", date(2026, 3, 2))
    factories.save_cbc(inv, a, "2", date(2026, 3, 12), PLAT=35)
    _not_done(crc, a, "3")
    factories.save_cbc(inv, b, "1", date(2026, 3, 9), PLAT=18)
    return {"a": a, "b": b, "c": c, "d": d, "inv": inv, "crc": crc}


# --- the numbers -------------------------------------------------------------------------


def test_enrolment_by_month_with_running_totals(study):
    report = enrolment(AS_OF)
    rows = [
        (m.month, m.screened, m.enrolled, m.screen_failed, m.screened_total, m.enrolled_total)
        for m in report.months
    ]
    assert rows == [("2026-02", 1, 0, 0, 1, 0), ("2026-03", 3, 2, 1, 4, 2)]
    assert (report.screened, report.enrolled, report.screen_failed, report.target) == (4, 2, 1, 20)
    # B was enrolled on 03-08: a cut-off before leaves it out
    early = enrolment(date(2026, 3, 5))
    assert (early.screened, early.enrolled, early.screen_failed) == (3, 1, 1)


def test_enrolment_totals_agree_with_the_dashboard(study):
    counts = dashboard.counts(dashboard.rows(study["inv"], AS_OF))
    report = enrolment(AS_OF)
    assert (report.screened, report.enrolled) == (counts["screened"], counts["enrolled_total"])
    assert report.target == counts["target"]


def _by_code(report):
    return {v.code: v.counts for v in report.visits}


def test_visit_compliance_counts_the_tracker_statuses(study):
    report = compliance(study["inv"], AS_OF)
    got = _by_code(report)
    assert report.subjects == 2
    assert got["SCR"]["done"] == 2
    assert got["D1"]["done"] == 2
    assert (got["D8"]["done_out_of_window"], got["D8"]["overdue"], got["D8"]["done"]) == (1, 1, 0)
    assert (got["D15"]["missed"], got["D15"]["upcoming"]) == (1, 1)
    assert got["D22"]["upcoming"] == 2
    d8 = next(v for v in report.visits if v.code == "D8")
    assert d8.expected == 2
    assert d8.in_window_percent == 0
    # the same statuses as the visit calendar of each subject
    for subject in (study["a"], study["b"]):
        for row in schedule.calendar(subject, AS_OF):
            if row.planned:
                assert sum(got[row.code].values()) == 2


def test_visit_compliance_as_of_an_earlier_date(study):
    """On 03-10 A's Day 8 (dated 03-12) is not yet done but due; B is enrolled (03-08)."""
    got = _by_code(compliance(study["inv"], date(2026, 3, 10)))
    assert got["D8"]["due"] == 1
    assert got["D8"]["done_out_of_window"] == 0
    assert got["D1"]["done"] == 2
    before_b = compliance(study["inv"], date(2026, 3, 5))
    assert before_b.subjects == 1


def _gaps(report):
    return {(v.code, g.key): (g.done, g.missing, g.in_progress) for v in report for g in v.forms}


def test_forms_missing_per_visit(study):
    report = missing_forms(study["inv"], AS_OF)
    gaps = _gaps(report)
    a, b = study["a"].label, study["b"].label
    assert gaps[("D1", "CBC")] == (2, [], [])
    assert gaps[("D1", "EC")] == (2, [b], [a])  # A's dose is a draft
    assert gaps[("D1", "VS")] == (2, [a, b], [])
    assert gaps[("D1", "BLEED")] == (2, [a, b], [])
    assert gaps[("D8", "CBC")] == (1, [], [])  # only A did Day 8 (out of window)
    assert gaps[("D8", "VS")] == (1, [a], [])
    assert gaps[("D15", "CBC")] == (0, [], [])  # missed and upcoming: no done visit
    d1 = next(v for v in report if v.code == "D1")
    assert [g.codes for g in d1.forms if g.key == "VS"] == [("VS", "WEIGHT")]
    assert {"AE", "IRR", "CM"} <= set(d1.not_counted)


def test_a_walk_one_subject_at_a_time_gives_the_same_reports(study, monkeypatch):
    """The tracker, the home page's visits due, the form status matrix and its CSV, visit
    compliance and forms missing read the study a batch of subjects at a time
    (``schedule.walk``: memory stays flat); the batches' edges change nothing, and each batch
    costs the same few statements."""
    inv = study["inv"]

    def reports():
        board = tracker(inv, AS_OF)
        due = [(s.label, r.code, r.status) for s, r in tracker_module.work_list(inv, AS_OF)]
        forms = matrix.matrix(inv, AS_OF, matrix.Filters())
        csv = list(matrix.csv_rows(inv, AS_OF, matrix.Filters(state="missing")))
        return (
            compliance(inv, AS_OF),
            missing_forms(inv, AS_OF),
            board.counts,
            due,
            forms.counts,
            [(line.subject.label, sorted(line.cells)) for line in forms.lines],
            csv,
        )

    whole = reports()
    assert whole[3], "the study has visits due or overdue on the as-of date"
    assert whole[6], "the study has forms missing on the as-of date"
    one_batch = statements_of(lambda: compliance(inv, AS_OF))
    monkeypatch.setattr(walk, "BATCH", 1)
    assert reports() == whole
    assert [line.subject.label for line in tracker_module.enrolled_lines(AS_OF)] == [
        study["a"].label,
        study["b"].label,
    ]
    per_batch = one_batch - 1  # the ids, then each batch: subjects, visits, record models
    assert statements_of(lambda: compliance(inv, AS_OF)) == 1 + 2 * per_batch


# --- the page ----------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["mon.user", "crc.user", "inv.user", "dm.user"])
def test_study_data_viewers_see_the_page_with_its_charts(study, client, auth, username):
    auth.login(username)
    page = client.get(f"{PAGE}?as_of={AS_OF}")
    assert page.status_code == 200, page.get_data(as_text=True)
    html = page.get_data(as_text=True)
    for chart in ("enrolment-chart", "compliance-chart", "missing-chart"):
        figure = html.split(f'data-testid="{chart}"')[1].split("</figure>")[0]
        assert "<svg" in figure
        assert "<title" in figure
        assert "<desc" in figure
    assert "2 of 20 subjects enrolled" in html
    assert 'data-testid="csv-visit_compliance"' in html
    row = html.split('<tr data-visit="D8"')[1].split("</tr>")[0]
    assert 'data-status="overdue">1<' in row
    assert 'data-status="done_out_of_window">1<' in row


def test_the_coordinator_finds_the_page_in_the_nav_not_the_reports_index(study, client, auth):
    auth.login("crc.user")
    home = client.get("/").get_data(as_text=True)
    assert 'data-nav="operations"' in home
    assert client.get("/reports/").status_code == 403
    auth.logout()
    auth.login("mon.user")
    index = client.get("/reports/").get_data(as_text=True)
    assert 'data-testid="operations-link"' in index


def test_a_bad_or_future_date_is_told(study, client, auth):
    auth.login("mon.user")
    for asked, message in (("2026-13-01", "YYYY-MM-DD"), ("2999-01-01", "future")):
        page = client.get(f"{PAGE}?as_of={asked}")
        assert page.status_code == 422
        assert message in page.get_data(as_text=True)


def test_a_role_without_study_data_gets_403_and_no_file(study, client, auth, monkeypatch):
    """Every role views study data today; the page and its CSV still check it (P11-09)."""
    auth.login("crc.user")
    token = csrf_token(client.get("/").get_data(as_text=True))
    without = PERMISSIONS[Role.COORDINATOR] - {Action.VIEW_STUDY_DATA}
    monkeypatch.setitem(PERMISSIONS, Role.COORDINATOR, without)
    assert client.get(PAGE).status_code == 403
    answer = client.post(
        f"{PAGE}/csv", data={"csrf_token": token, "kind": "enrolment", "as_of": str(AS_OF)}
    )
    assert answer.status_code == 403
    assert 'data-nav="operations"' not in client.get("/").get_data(as_text=True)
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "export")) is None


def test_anonymous_is_sent_to_login(app, client):
    assert client.get(PAGE).status_code in (302, 401)


# --- CSV ---------------------------------------------------------------------------------


def _csv(client, kind: str, as_of: date = AS_OF):
    token = csrf_token(client.get(f"{PAGE}?as_of={as_of}").get_data(as_text=True))
    return client.post(
        f"{PAGE}/csv", data={"csrf_token": token, "kind": kind, "as_of": as_of.isoformat()}
    )


def _rows(answer) -> list[dict[str, str]]:
    assert answer.data.startswith(b"\xef\xbb\xbf")
    text = answer.data.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.req("P11-05")
def test_csv_downloads_carry_the_same_numbers_and_are_audited(study, client, auth):
    auth.login("crc.user")
    answer = _csv(client, "visit_compliance")
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = {r["visit_code"]: r for r in _rows(answer)}
    assert (rows["D8"]["done_out_of_window"], rows["D8"]["overdue"]) == ("1", "1")
    assert (rows["D15"]["missed"], rows["D15"]["upcoming"]) == ("1", "1")
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "export"))
    details = json.loads(audit.new_value)
    assert (audit.username, audit.row_id) == ("crc.user", "visit_compliance")
    assert details["cutoff"] == AS_OF.isoformat()
    assert details["rows"] == {"visit_compliance": len(rows)}
    months = _rows(_csv(client, "enrolment"))
    assert [(m["month"], m["enrolled_cumulative"], m["target"]) for m in months] == [
        ("2026-02", "0", "20"),
        ("2026-03", "2", "20"),
    ]
    gaps = {(r["visit_code"], r["form_codes"]): r for r in _rows(_csv(client, "missing_forms"))}
    ec = gaps[("D1", "PREMED EC")]
    assert (ec["missing"], ec["in_progress"]) == ("1", "1")
    assert (ec["subjects_missing"], ec["subjects_in_progress"]) == (
        study["b"].label,
        study["a"].label,
    )
    assert db.session.query(AuditLog).filter(AuditLog.action == "export").count() == 3


def test_csv_of_an_unknown_kind_is_404_and_not_audited(study, client, auth):
    auth.login("mon.user")
    assert _csv(client, "casebook").status_code == 404
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "export")) is None


def test_csv_needs_the_csrf_token(study, client, auth):
    auth.login("mon.user")
    answer = client.post(f"{PAGE}/csv", data={"kind": "enrolment"})
    assert answer.status_code == 400


def test_the_job_path_of_the_reports_page_makes_the_same_file(study, client, auth):
    """The kinds are ordinary exports: the /reports/ form makes them too (audited)."""
    auth.login("mon.user")
    asked = auth.post(
        "/reports/", {"kind": "enrolment", "cutoff": AS_OF.isoformat()}, page="/reports/"
    )
    assert asked.status_code == 302
    html = client.get(asked.headers["Location"]).get_data(as_text=True)
    link = html.split('data-testid="download"')[0].rsplit('href="', 1)[1].split('"')[0]
    got = client.get(link)
    assert got.data.startswith(b"\xef\xbb\xbf")
    assert b"2026-03,3,2,1,4,2,1,20" in got.data
    got.close()


# --- queries ------------------------------------------------------------------------------


def _queries(app, client) -> int:
    return page_statements(client, f"{PAGE}?as_of={AS_OF}")


def test_the_page_reads_in_a_few_queries_whatever_the_subjects(app, study, client, auth):
    auth.login("mon.user")
    before = _queries(app, client)
    inv = study["inv"]
    c = _enrol(inv, date(2026, 3, 15), date(2026, 3, 16))  # the third run-in subject
    _at(AS_OF)
    factories.save_cbc(inv, c, "1", date(2026, 3, 16), PLAT=22)
    for day in (11, 12, 13):
        _at(date(2026, 3, day))
        factories.screen_subject(inv, screened=date(2026, 3, day))
    _at(AS_OF)
    assert enrolment(AS_OF).screened == 8
    assert _queries(app, client) == before
