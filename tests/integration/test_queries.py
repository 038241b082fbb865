"""Data queries (issue 14, item 1): raised by a monitor or data manager on a field, a form or a
subject; answered by a reply or by changing the field; closed and re-opened; shown on the form,
listed per role with filters and CSV, counted per subject and visit."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import g
from sqlalchemy import select

from studyapp.audit import acting_as
from studyapp.audit.models import AuditLog
from studyapp.db import freeze_clock
from studyapp.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from studyapp.extensions import db
from studyapp.monitoring.queries import listing
from studyapp.monitoring.queries import models as m
from studyapp.monitoring.queries import services as queries
from studyapp.monitoring.queries.thread import PageQueries
from studyapp.transaction import transaction
from studyapp.visits.vitals import service as vitals
from tests import factories
from tests.formdata import form_data
from tests.statements import page_statements

DAY1 = date(2026, 3, 2)
DAY29 = date(2026, 3, 30)  # visit 5: VS, WEIGHT among its forms
REASON = "transcription error, checked against the source"


def _vitals(pulse: int) -> vitals.VitalsEntry:
    values = {"weight": Decimal("58.3"), "sysbp": 118, "diabp": 76, "pulse": pulse}
    return vitals.VitalsEntry(DAY29, time(9, 0), {**values, "temp": Decimal("36.6")})


@pytest.fixture
def enrolled(app: Any, users: Any) -> Any:
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    with transaction():
        subject = factories.make_enrolled(users["investigator"], DAY1, screened=date(2026, 3, 1))
    freeze_clock(datetime(2026, 3, 31, 2, 0, tzinfo=UTC))  # Day 30, 10:00 at the site
    inv = users["investigator"]
    with acting_as(inv), transaction():
        vitals.save(inv, subject.id, "5", _vitals(72), visit_date=DAY29)
    return subject


def _do(user: Any, action: Any, *args: Any, **kw: Any) -> Any:
    with acting_as(user), transaction():
        return action(user, *args, **kw)


def _raise(users: Any, subject: Any, field: str | None = "pulse", text: str = "Pulse 72?") -> Any:
    return _do(
        users["monitor"],
        queries.raise_query,
        subject.id,
        text,
        visitnum="5",
        form="VS",
        field=field,
    )


def _kinds(query: Any) -> list[str]:
    found = select(m.QueryMessage.kind).where(m.QueryMessage.query_id == query.id)
    return list(db.session.scalars(found.order_by(m.QueryMessage.id)))


@pytest.mark.req("GCP-10", "P11-05")
def test_lifecycle_raise_reply_close_reopen_answer_by_change(users, enrolled):
    query = _raise(users, enrolled)
    assert (query.state, query.form, query.field, query.visitnum) == ("open", "VS", "pulse", "5")
    assert _do(users["coordinator"], queries.reply, query.id, "Source says 72.").state == "answered"
    closed = _do(users["monitor"], queries.close, query.id, "")
    assert (closed.state, closed.closed_by_id) == ("closed", users["monitor"].id)
    assert closed.closed_at == datetime(2026, 3, 31, 2, 0, tzinfo=UTC)
    reopened = _do(users["data_manager"], queries.reopen, query.id, "Source shows 78.")
    assert (reopened.state, reopened.closed_at) == ("open", None)

    inv = users["investigator"]
    record = db.session.scalar(select(vitals.VitalSigns))
    with acting_as(inv), transaction():
        vitals.save(
            inv,
            enrolled.id,
            "5",
            _vitals(78),
            visit_date=DAY29,
            version=record.version,
            reason=REASON,
        )
    db.session.expire_all()
    query = db.session.get(m.DataQuery, query.id)
    assert query.state == "answered"
    assert _kinds(query) == ["raise", "reply", "close", "reopen", "answer"]
    last = db.session.scalars(
        select(m.QueryMessage)
        .where(m.QueryMessage.query_id == query.id)
        .order_by(m.QueryMessage.id.desc())
    ).first()
    assert "from 72 to 78" in last.text
    assert REASON in last.text
    assert last.author_id == inv.id
    # the change's audit row carries the query id (GCP-10), and each query step is audited
    change = db.session.scalars(
        select(AuditLog)
        .where(AuditLog.table_name == "vital_signs", AuditLog.field == "pulse")
        .order_by(AuditLog.seq.desc())
    ).first()
    assert change.reason == f"{REASON} [query #{query.id}]"
    steps = db.session.scalars(
        select(AuditLog.row_id).where(AuditLog.table_name == "query_message").distinct()
    ).all()
    assert len(steps) == 5  # one audited message per step


def test_a_change_of_another_field_leaves_the_query_open(users, enrolled):
    query = _raise(users, enrolled, field="temp")
    inv = users["investigator"]
    record = db.session.scalar(select(vitals.VitalSigns))
    with acting_as(inv), transaction():
        vitals.save(
            inv,
            enrolled.id,
            "5",
            _vitals(80),
            visit_date=DAY29,
            version=record.version,
            reason=REASON,
        )
    db.session.expire_all()
    assert db.session.get(m.DataQuery, query.id).state == "open"


@pytest.mark.req("P11-09")
def test_who_may_do_what(users, enrolled):
    for role in ("investigator", "coordinator"):
        with pytest.raises(PermissionDenied):
            _raise(users | {"monitor": users[role]}, enrolled)
    query = _raise(users, enrolled)
    for role in ("investigator", "coordinator"):
        with pytest.raises(PermissionDenied):
            _do(users[role], queries.close, query.id, "")
    for role in ("monitor", "data_manager"):
        with pytest.raises(PermissionDenied):
            _do(users[role], queries.reply, query.id, "an answer")
    # a monitor never changes clinical data: the CRF save refuses them
    record = db.session.scalar(select(vitals.VitalSigns))
    with pytest.raises(PermissionDenied):
        _do(
            users["monitor"],
            vitals.save,
            enrolled.id,
            "5",
            _vitals(90),
            visit_date=DAY29,
            version=record.version,
            reason=REASON,
        )


@pytest.mark.req("GCP-10")
def test_state_rules(users, enrolled):
    query = _raise(users, enrolled)
    with pytest.raises(Conflict):
        _do(users["monitor"], queries.reopen, query.id, "again")
    _do(users["monitor"], queries.close, query.id, "")
    with pytest.raises(Conflict):
        _do(users["monitor"], queries.close, query.id, "")
    with pytest.raises(Conflict) as refused:
        _do(users["investigator"], queries.reply, query.id, "late answer")
    assert refused.value.status == 409


@pytest.mark.parametrize(
    ("kw", "error"),
    [
        ({"form": "VS", "visitnum": "5", "field": "pulse", "text": "  "}, ValidationFailed),
        ({"form": "VS", "visitnum": "5", "field": "nosuch", "text": "x"}, ValidationFailed),
        ({"form": "NOPE", "visitnum": "5", "field": None, "text": "x"}, NotFound),
        ({"form": "AE", "visitnum": "5", "field": None, "text": "x"}, ValidationFailed),
        ({"form": None, "visitnum": "5", "field": None, "text": "x"}, ValidationFailed),
        ({"form": "VS", "visitnum": "7" * 40, "field": None, "text": "x"}, NotFound),
    ],
)
def test_bad_locations_and_empty_text_are_refused(users, enrolled, kw, error):
    text = kw.pop("text")
    with pytest.raises(error):
        _do(users["monitor"], queries.raise_query, enrolled.id, text, **kw)


def test_a_subject_query_from_the_subject_pages(users, enrolled, auth):
    auth.login("mon.user")
    detail = auth.client.get(f"/subjects/{enrolled.id}").get_data(as_text=True)
    listed = re.search(r'href="([^"]+)" data-testid="nav-queries"', detail).group(1)
    page = auth.client.get(listed.replace("&amp;", "&")).get_data(as_text=True)
    raise_url = re.search(r'href="([^"]+)" data-testid="raise-subject-query"', page).group(1)
    answer = auth.post(raise_url, {"field": "", "text": "Consent copy?"})
    assert answer.status_code == 302
    query = db.session.scalar(select(m.DataQuery))
    assert (query.form, query.visitnum, query.field) == (None, None, None)
    assert answer.headers["Location"].endswith(f"/monitoring/queries/{query.id}")
    thread = auth.client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Consent copy?" in thread


def test_a_subject_query_and_a_form_query(users, enrolled):
    subject_query = _do(users["monitor"], queries.raise_query, enrolled.id, "Consent copy?")
    assert (subject_query.form, subject_query.visitnum, subject_query.field) == (None, None, None)
    form_query = _raise(users, enrolled, field=None)
    assert (form_query.form, form_query.field) == ("VS", None)


# --- pages --------------------------------------------------------------------------------

VS_PAGE = "/subjects/{id}/visits/5/vitals"


def _page(enrolled: Any) -> str:
    return VS_PAGE.format(id=enrolled.id)


@pytest.mark.req("REL-01", "SEC-10", "GCP-06")
def test_a_monitor_raises_a_query_from_the_form_and_sees_it_in_place(users, enrolled, auth):
    auth.login("mon.user")
    form_page = auth.client.get(_page(enrolled)).get_data(as_text=True)
    assert 'data-testid="raise-query"' in form_page
    assert 'data-testid="raise-on-pulse"' in form_page
    new = f"/monitoring/queries/new?subject_id={enrolled.id}&visitnum=5&form=VS&field=pulse"
    raise_page = auth.client.get(new).get_data(as_text=True)
    assert '<option selected value="pulse">' in raise_page
    token = re.search(r'name="submission" type="hidden" value="([^"]+)"', raise_page).group(1)
    sent = {"field": "pulse", "text": "Pulse <b>72</b>?", "submission": token}
    answer = auth.post(new, sent)
    assert answer.status_code == 302
    again = auth.post(new, sent)  # the same form again (REL-01): told, no second query
    assert again.headers["Location"] == answer.headers["Location"]
    assert "This form was already saved." in auth.client.get(_page(enrolled)).get_data(True)
    assert db.session.scalar(select(db.func.count(m.DataQuery.id))) == 1
    assert answer.headers["Location"].endswith(_page(enrolled))
    page = auth.client.get(_page(enrolled)).get_data(as_text=True)
    assert 'data-testid="query-marker-pulse"' in page
    assert 'data-testid="query-marker-temp"' not in page
    assert "Pulse &lt;b&gt;72&lt;/b&gt;?" in page  # escaped (SEC-10)
    assert "2026-03-31 10:00 (+08:00)" in page  # raised at 02:00 UTC, shown in site time
    assert 'data-testid="close-' in page
    assert 'data-testid="reply-' not in page  # a monitor does not reply


def test_the_raise_link_is_offered_only_for_fields_of_the_record(app):
    shown = PageQueries(1, "5", "EC", may_raise=True, fields=("ec_date",))
    with app.test_request_context("/"):
        g.page_queries = shown
        marker = app.jinja_env.get_template("monitoring/_queries.html").module.query_marker
        assert 'data-testid="raise-on-ec_date"' in str(marker("ec_date"))
        assert "raise-on" not in str(marker("split"))  # a form field but no column


def test_a_monitor_raises_a_query_in_place_picking_a_field_by_its_label(users, enrolled, auth):
    auth.login("mon.user")
    page = auth.client.get(_page(enrolled)).get_data(as_text=True)
    assert '<option value="pulse">Heart rate (beats/min)</option>' in page
    assert '<option value="bmi">' not in page  # computed, not a field of the form
    raise_url = re.search(r'action="([^"]+)" class="query-step" data-testid="raise-query"', page)
    sent = form_data(page, action="/monitoring/queries/new", field="sysbp")
    sent["text"] = "Systolic 118 or 128?"
    answer = auth.client.post(raise_url.group(1).replace("&amp;", "&"), data=sent)
    assert answer.status_code == 302
    query = db.session.scalar(select(m.DataQuery))
    assert (query.form, query.visitnum, query.field) == ("VS", "5", "sysbp")
    shown = auth.client.get(_page(enrolled)).get_data(as_text=True)
    assert 'data-testid="query-marker-sysbp"' in shown


def test_the_site_replies_on_the_form_and_cannot_close(users, enrolled, auth):
    query = _raise(users, enrolled)
    auth.login("inv.user")
    page = auth.client.get(_page(enrolled)).get_data(as_text=True)
    assert 'data-testid="query-marker-pulse"' in page
    assert f'data-testid="reply-{query.id}"' in page
    assert f'action="/monitoring/queries/{query.id}/reply"' in page  # the POST route, not ?step=
    assert f'data-testid="close-{query.id}"' not in page
    assert 'data-testid="raise-query"' not in page
    url = f"/monitoring/queries/{query.id}"
    assert auth.post(url + "/close", {"text": ""}, page=url).status_code == 403
    answer = auth.post(url + "/reply", {"text": "Checked: 72."}, page=url)
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(m.DataQuery, query.id).state == "answered"


@pytest.mark.req("GCP-10", "GCP-02")
def test_the_site_answers_by_changing_the_field_on_the_form(users, enrolled, auth):
    query = _raise(users, enrolled)
    auth.login("crc.user")
    page = auth.client.get(_page(enrolled)).get_data(as_text=True)
    unreasoned = form_data(page, containing="reason", pulse="78", reason="")
    assert auth.client.post(_page(enrolled), data=unreasoned).status_code == 422
    db.session.expire_all()
    assert db.session.get(m.DataQuery, query.id).state == "open"  # refused: nothing kept
    edited = form_data(page, containing="reason", pulse="78", reason=REASON)
    assert auth.client.post(_page(enrolled), data=edited).status_code == 302
    shown = auth.client.get(_page(enrolled)).get_data(as_text=True)
    assert f'data-testid="query-state-{query.id}">answered' in shown
    assert f"Changed pulse from 72 to 78. Reason: {REASON}" in shown


@pytest.mark.req("REL-07")
def test_bad_input_is_told_next_to_the_field_never_500(users, enrolled, auth):
    auth.login("mon.user")
    new = f"/monitoring/queries/new?subject_id={enrolled.id}&visitnum=5&form=VS"
    empty = auth.post(new, {"field": "pulse", "text": "   "})
    assert empty.status_code == 422
    assert 'id="text-error"' in empty.get_data(as_text=True)
    unknown_field = auth.post(new, {"field": "nosuch", "text": "x"})
    assert unknown_field.status_code == 422
    assert 'id="field-error"' in unknown_field.get_data(as_text=True)
    bad_form = f"/monitoring/queries/new?subject_id={enrolled.id}&visitnum=5&form=NOPE"
    assert auth.post(bad_form, {"field": "", "text": "x"}, page=new).status_code == 404
    no_subject = "/monitoring/queries/new?subject_id=99999&form=VS"
    assert auth.client.get(no_subject).status_code == 404
    assert auth.client.get("/monitoring/queries/99999").status_code == 404
    assert auth.client.get("/monitoring/queries?state=bogus").status_code == 404
    assert auth.client.get("/monitoring/queries?subject_id=x").status_code == 404
    huge = "9" * 30
    assert auth.client.get(f"/monitoring/queries?subject_id={huge}").status_code == 404
    assert auth.client.get(f"/monitoring/queries/new?subject_id={huge}").status_code == 404
    assert auth.client.get(f"/monitoring/queries/{huge}").status_code == 404
    long_visit = auth.client.get("/monitoring/queries?visitnum=" + "5" * 500)
    assert long_visit.status_code == 200
    query = _raise(users, enrolled)
    url = f"/monitoring/queries/{query.id}"
    reopen = auth.post(url + "/reopen", {"text": "again"}, page=url)
    assert reopen.status_code == 409
    auth.logout()
    auth.login("inv.user")
    blank = auth.post(url + "/reply", {"text": ""}, page=url)
    assert blank.status_code == 422
    assert 'id="text-error"' in blank.get_data(as_text=True)
    _do(users["monitor"], queries.close, query.id, "")
    late = auth.post(url + "/reply", {"text": "late"}, page=url)
    assert late.status_code == 409
    assert "This query is closed" in late.get_data(as_text=True)


# --- lists, CSV, metrics ------------------------------------------------------------------

T0 = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)


def _at(days: int) -> datetime:
    return T0 + timedelta(days=days)


@pytest.fixture
def three(users: Any, enrolled: Any) -> dict[str, Any]:
    """By hand: q1 (VS pulse, day 0, closed day 4), q2 (VS temp, day 2, answered),
    q3 (the subject, day 6, open); seen on day 10. Ages 4, 8 and 4 days."""
    mon, crc = users["monitor"], users["coordinator"]
    freeze_clock(_at(0))
    q1 = _raise(users, enrolled, "pulse", '=HYPERLINK("http://x")')
    freeze_clock(_at(2))
    q2 = _raise(users, enrolled, "temp", "Temperature?")
    freeze_clock(_at(4))
    _do(mon, queries.close, q1.id, "")
    _do(crc, queries.reply, q2.id, "Checked.")
    freeze_clock(_at(6))
    q3 = _do(mon, queries.raise_query, enrolled.id, "Consent copy?")
    freeze_clock(_at(10))
    return {"q1": q1.id, "q2": q2.id, "q3": q3.id, "code": enrolled.subject_number}


def test_metrics_per_subject_and_visit_counted_by_hand(users, three):
    _state, found = listing.rows(users["monitor"], listing.Filters(listing.ANY))
    assert sorted(r.age_days for r in found) == [4, 4, 8]
    per_subject, per_visit = listing.metrics(found)
    assert per_subject == [listing.Metric(three["code"], 1, 1, 1, 4.0)]
    assert per_visit == [listing.Metric("5", 0, 1, 1, 6.0), listing.Metric("—", 1, 0, 0, 4.0)]


def test_visits_are_in_numeric_order_in_the_metrics():
    found = [
        listing.Row(n, 1, "ITP-001", v, "VS", None, "open", "M", T0, None, 1, "?")
        for n, v in enumerate(("10", None, "2", "2.01"))
    ]
    assert [x.key for x in listing.metrics(found)[1]] == ["2", "2.01", "10", "—"]


def _ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/monitoring/queries/(\d+)"', html)]


def test_the_list_defaults_by_role_and_filters(users, three, auth):
    auth.login("crc.user")  # the site: open ones, to answer
    assert _ids(auth.client.get("/monitoring/queries").get_data(as_text=True)) == [three["q3"]]
    auth.logout()
    auth.login("mon.user")  # the monitor: answered ones, to review
    page = auth.client.get("/monitoring/queries").get_data(as_text=True)
    assert _ids(page) == [three["q2"]]
    assert 'data-nav="queries"' in page
    every = auth.client.get("/monitoring/queries?state=any").get_data(as_text=True)
    assert _ids(every) == [three["q1"], three["q2"], three["q3"]]
    visit = auth.client.get("/monitoring/queries?state=any&visitnum=5&form=VS")
    assert _ids(visit.get_data(as_text=True)) == [three["q1"], three["q2"]]
    closed = auth.client.get("/monitoring/queries?state=closed").get_data(as_text=True)
    assert _ids(closed) == [three["q1"]]
    metrics = re.search(r'data-key="5"><th scope="row">5</th>(.*?)</tr>', every).group(1)
    assert re.findall(r"<td>([^<]*)</td>", metrics) == ["0", "1", "1", "6.0"]


@pytest.mark.req("SEC-11", "P11-05")
def test_the_csv_holds_the_filtered_rows_escaped_and_is_audited(users, three, auth):
    auth.login("mon.user")
    got = auth.post("/monitoring/queries/csv", {"state": "any"}, page="/monitoring/queries")
    assert got.status_code == 200
    assert got.mimetype == "text/csv"
    lines = got.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("query_id,subject,visitnum,form,field,state")
    assert len(lines) == 4
    assert "'=HYPERLINK" in lines[1]
    assert "2026-04-01T02:00:00Z" in lines[1]  # exported in UTC (GCP-06)
    assert lines[1].split(",")[:6] == [
        str(three["q1"]),
        three["code"],
        "5",
        "VS",
        "pulse",
        "closed",
    ]
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "export")).all()
    assert [row.row_id for row in audit] == ["queries"]
    assert '"rows": 3' in audit[0].new_value
    tokenless = auth.client.post("/monitoring/queries/csv", data={"state": "any"})
    assert tokenless.status_code == 400


def _statements(client: Any, path: str) -> int:
    return page_statements(client, path)


def test_the_list_reads_in_a_few_statements_whatever_the_queries(users, enrolled, auth):
    _raise(users, enrolled)
    auth.login("mon.user")
    path = "/monitoring/queries?state=any"
    before = _statements(auth.client, path)
    for n in range(6):
        query = _raise(users, enrolled, field="temp", text=f"Question {n}")
        _do(users["coordinator"], queries.reply, query.id, "Answer.")
    assert len(_ids(auth.client.get(path).get_data(as_text=True))) == 7
    assert _statements(auth.client, path) == before
    form_page = _page(enrolled)
    few = _statements(auth.client, form_page)
    _raise(users, enrolled, field="sysbp")
    assert _statements(auth.client, form_page) == few


def test_the_registry_finds_the_page_fields_and_forms_of_a_record(app):
    from studyapp.crf import registry
    from studyapp.visits.models import LabPanel, VitalSigns

    assert {"pulse", "weight", "vs_date"} <= set(registry.fields_of("WEIGHT"))
    assert not {"id", "subject_id", "status", "version"} & set(registry.fields_of("VS"))
    assert registry.fields_of("DS") == ()
    assert registry.page_keys_of(VitalSigns()) == ("VS",)
    assert registry.page_keys_of(LabPanel(form="CHEM")) == ("CHEM",)
    args = {"subject_id": 1, "visitnum": "5", "form": "IG"}
    assert registry.page_at("visits.labs", args).key == "IG"
    assert registry.page_at("visits.vitals", args).key == "VS"
    assert registry.page_at("visits.visit", args) is None


def _edit_check_queries(subject: Any) -> list[Any]:
    found = (
        select(m.DataQuery)
        .join(m.QueryMessage)
        .where(m.DataQuery.subject_id == subject.id, m.QueryMessage.kind == m.EDIT_CHECK)
    )
    return list(db.session.scalars(found.order_by(m.DataQuery.id)))


@pytest.mark.req("GCP-10")
def test_a_confirmed_unusual_value_raises_a_query_once(users: Any, enrolled: Any) -> None:
    """An edit check's warning confirmed at saving raises an open query on the field; saving
    the record again with the value unchanged raises no second one, even after it is closed;
    a new unusual value does."""
    inv, mon = users["investigator"], users["monitor"]
    record = db.session.scalar(select(vitals.VitalSigns))
    assert _edit_check_queries(enrolled) == []
    with acting_as(inv), transaction():
        vitals.save(
            inv, enrolled.id, "5", _vitals(150), version=record.version, reason=REASON,
            confirmed=True,
        )  # fmt: skip
    (query,) = _edit_check_queries(enrolled)
    assert (query.field, query.form, query.visitnum, query.state) == ("pulse", "VS", "5", m.OPEN)
    first = db.session.scalar(select(m.QueryMessage).where(m.QueryMessage.query_id == query.id))
    assert first.kind == m.EDIT_CHECK
    assert "Unusual value" in first.text
    _do(mon, queries.close, query.id, "checked against the ECG printout")
    db.session.expire_all()
    changed = _vitals(150)
    changed.values["sysbp"] = 121
    with acting_as(inv), transaction():
        vitals.save(
            inv, enrolled.id, "5", changed, version=record.version, reason=REASON, confirmed=True
        )
    assert len(_edit_check_queries(enrolled)) == 1
    db.session.expire_all()
    with acting_as(inv), transaction():
        vitals.save(
            inv, enrolled.id, "5", _vitals(30), version=record.version, reason=REASON,
            confirmed=True,
        )  # fmt: skip
    assert [q.state for q in _edit_check_queries(enrolled)] == [m.CLOSED, m.OPEN]
