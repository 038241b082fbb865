"""A careless client or two requests at once lose no update and make no duplicate (REL-01).

An edit sent without its version is refused (400); the same "new record" form sent twice,
one after the other or at the same moment, makes one record; two first saves of one form
at once, or a versioned UPDATE that matches no row, answer 409, never 500; two sign-ins to
one account at once never answer 500.

Races are made deterministic where they can be: the losing write is forced through the
path a real race takes (a unique constraint hit, a version moved under the UPDATE). The
threaded tests run two app nodes on one database; their outcome does not depend on which
request wins.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from studyapp.audit.models import AuditLog
from studyapp.auth.models import User
from studyapp.db import freeze_clock
from studyapp.extensions import db
from studyapp.safety.models import AdverseEvent
from studyapp.subjects.models import PriorTherapy, Subject
from studyapp.visits.models import LabResult, Medication, Visit, VitalSigns
from studyapp.visits.vitals import service as vitals
from studyapp.web import submissions
from tests import factories
from tests.factories import AuthActions, csrf_token
from tests.integration.test_safety_web import ae
from tests.integration.test_visits_medications import drug

pytestmark = pytest.mark.both_engines  # concurrency and locks

DAY1 = date(2026, 3, 2)
NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, Day 15 (visit 3)
TOKEN_RE = re.compile(r'name="submission" type="hidden" value="([^"]+)"')
MISSING = "This form was sent without the version of the record it changes"
ALREADY = "This form was already saved."


@pytest.fixture
def subject(app, users):
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subject = factories.make_enrolled(users["investigator"], DAY1, screened=date(2026, 3, 1))
    freeze_clock(NOW)
    return subject


def post(client: Any, url: str, data: dict[str, Any], page: str | None = None) -> Any:
    token = csrf_token(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def count(model: type) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def audit_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditLog))


# --- an edit without its version -----------------------------------------------------------

VITALS = {
    "visit_date": "2026-03-16",
    "vs_date": "2026-03-16",
    "vs_time": "09:10",
    "weight": "58.3",
    "sysbp": "118",
    "diabp": "76",
    "pulse": "72",
    "temp": "36.6",
    "action": "save",
}
CBC = {"visit_date": "2026-03-16", "lb_date": "2026-03-16", "lb_time": "08:30", "action": "save"}


def _vitals(client: Any, subject: Subject) -> tuple[str, dict, Callable[[], Any]]:
    url = f"/subjects/{subject.id}/visits/3/vitals"
    assert post(client, url, VITALS).status_code == 302
    return url, {**VITALS, "weight": "61.0"}, lambda: db.session.scalar(select(VitalSigns.weight))


def _labs(client: Any, subject: Subject) -> tuple[str, dict, Callable[[], Any]]:
    url = f"/subjects/{subject.id}/visits/3/labs/CBC"
    assert post(client, url, {**CBC, "plat": "45", "hgb": "95"}).status_code == 302
    read = lambda: db.session.scalar(select(LabResult.orres).where(LabResult.testcd == "PLAT"))  # noqa: E731
    return url, {**CBC, "plat": "60", "hgb": "95"}, read


def _ae(client: Any, subject: Subject) -> tuple[str, dict, Callable[[], Any]]:
    assert post(client, f"/subjects/{subject.id}/adverse-events/new", ae()).status_code == 302
    record = db.session.scalar(select(AdverseEvent))
    url = f"/subjects/{subject.id}/adverse-events/{record.id}"
    return url, ae(treatment="ibuprofen"), lambda: db.session.scalar(select(AdverseEvent.treatment))


def _medication(client: Any, subject: Subject) -> tuple[str, dict, Callable[[], Any]]:
    assert post(client, f"/subjects/{subject.id}/visits/3/medications", drug()).status_code == 302
    med = db.session.scalar(select(Medication))
    url = f"/subjects/{subject.id}/medications/{med.id}"
    return url, drug(dose="40"), lambda: db.session.scalar(select(Medication.dose))


@pytest.mark.req("REL-01")
@pytest.mark.parametrize("make", [_vitals, _labs, _ae, _medication], ids=lambda f: f.__name__)
def test_an_edit_without_its_version_is_a_400_and_changes_nothing(client, auth, subject, make):
    auth.login("inv.user")
    url, change, read = make(client, subject)
    before, trail = read(), audit_rows()
    refused = post(client, url, {**change, "reason": "no version sent"})
    assert refused.status_code == 400
    assert MISSING in refused.get_data(as_text=True)
    db.session.expire_all()
    assert read() == before
    assert audit_rows() == trail


@pytest.mark.req("REL-01")
def test_an_account_edit_without_its_version_is_a_400_and_changes_nothing(client, auth, users):
    auth.login("dm.user")
    target = users["coordinator"]
    url = f"/admin/users/{target.id}"
    data = {"full_name": "Someone Else", "email": "", "role": target.role, "reason": "typo"}
    trail = audit_rows()
    refused = post(client, url, data)
    assert refused.status_code == 400
    assert MISSING in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, target.id).full_name != "Someone Else"
    assert audit_rows() == trail


@pytest.mark.req("REL-01")
def test_a_first_save_based_on_no_record_after_another_saved_it_is_409(client, auth, subject):
    """The empty version of a new form means "no record yet": a record made meanwhile wins."""
    auth.login("inv.user")
    url = f"/subjects/{subject.id}/visits/3/vitals"
    assert post(client, url, {**VITALS, "version": ""}).status_code == 302
    late = post(client, url, {**VITALS, "weight": "70", "version": ""})
    assert late.status_code == 409
    assert "Another user changed this form" in late.get_data(as_text=True)
    db.session.expire_all()
    assert str(db.session.scalar(select(VitalSigns.weight))) == "58.3"


# --- the same create form twice -------------------------------------------------------------


def _therapy(_enrolled: Subject) -> tuple[str, dict, type]:
    """Prior therapies are recorded during screening."""
    investigator = db.session.scalar(select(User).where(User.username == "inv.user"))
    subject = factories.make_eligible(investigator, screened=date(2026, 3, 10))
    data = {
        "category": "corticosteroid",
        "name": "dexamethasone",
        "start_date": "2024-05",
        "stop_date": "2024-06",
        "best_response": "",
        "reason_stopped": "",
    }
    return f"/subjects/{subject.id}/therapies", data, PriorTherapy


CREATES: dict[str, Callable[[Subject], tuple[str, dict, type]]] = {
    "ae": lambda s: (f"/subjects/{s.id}/adverse-events/new", ae(), AdverseEvent),
    "medication": lambda s: (f"/subjects/{s.id}/visits/3/medications", drug(), Medication),
    "unscheduled": lambda s: (
        f"/subjects/{s.id}/visits/unscheduled",
        {"on": "2026-03-16", "reason": "bruising"},
        Visit,
    ),
    "screening": lambda s: ("/subjects/screen", {"sex": "F", "age_years": "50"}, Subject),
    "therapy": _therapy,
}


def form_with_token(client: Any, url: str, data: dict[str, Any]) -> dict[str, Any]:
    """What the browser sends: the page's CSRF and submission tokens with the typed values."""
    page = client.get(url).get_data(as_text=True)
    match = TOKEN_RE.search(page)
    assert match, "no submission token on the create form"
    screening = {"screening_date": "2026-03-16"} if url.endswith("/screen") else {}
    return {"csrf_token": csrf_token(page), "submission": match.group(1), **screening, **data}


@pytest.mark.req("REL-01")
@pytest.mark.parametrize("kind", list(CREATES))
def test_the_same_create_form_sent_twice_makes_one_record(client, auth, subject, kind):
    auth.login("inv.user")
    url, data, model = CREATES[kind](subject)
    sent = form_with_token(client, url, data)
    before = count(model)
    first = client.post(url, data=sent)
    assert first.status_code == 302, first.get_data(as_text=True)
    again = client.post(url, data=sent)  # back button and resubmit
    assert again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert count(model) == before + 1
    assert ALREADY in client.get(again.headers["Location"]).get_data(as_text=True)
    fresh = form_with_token(client, url, data)  # a new page is a new form
    assert fresh["submission"] != sent["submission"]


@pytest.mark.req("REL-01")
def test_a_repeat_that_missed_the_first_commit_hits_the_unique_token(
    client, auth, subject, monkeypatch
):
    """Sent at the same moment: the repeat's check ran before the first save committed, so it
    inserts the same token; the unique constraint refuses it and it answers with the first."""
    auth.login("inv.user")
    url, data, model = CREATES["ae"](subject)
    sent = form_with_token(client, url, data)
    first = client.post(url, data=sent)
    assert first.status_code == 302
    real, calls = submissions._refuse_repeat, []

    def too_early(*args: Any) -> None:
        calls.append(args)
        if len(calls) > 1:  # the check after the failed insert sees the committed twin
            real(*args)

    monkeypatch.setattr(submissions, "_refuse_repeat", too_early)
    again = client.post(url, data=sent)
    assert len(calls) == 2
    assert again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert count(model) == 1


@pytest.mark.req("REL-01")
def test_a_failed_save_frees_its_token_for_the_corrected_form(client, auth, subject):
    auth.login("inv.user")
    url, data, model = CREATES["medication"](subject)
    sent = form_with_token(client, url, {**data, "dose": "abc"})
    assert client.post(url, data=sent).status_code == 422
    assert client.post(url, data={**sent, "dose": "20"}).status_code == 302
    assert count(model) == 1


def run_at_once(*jobs: Callable[[], Any]) -> list[Any]:
    """Run the jobs in threads released together; their results in order (errors raised)."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(n: int, job: Callable[[], Any]) -> None:
        freeze_clock(NOW)  # a thread does not inherit the test's frozen clock
        try:
            results[n] = job(barrier)
        except BaseException as exc:  # reported in the test's thread
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n, job)) for n, job in enumerate(jobs)]
    db.session.close()  # the test's own session must hold no lock while the nodes write
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def two_nodes(make_app: Any, username: str = "inv.user") -> list[Any]:
    clients = [make_app().test_client() for _ in range(2)]
    for node in clients:
        assert AuthActions(node).login(username).status_code == 302
    return clients


@pytest.mark.req("REL-01")
def test_the_same_create_form_sent_at_once_by_two_nodes_makes_one_record(
    make_app, client, auth, subject
):
    url, data, model = CREATES["ae"](subject)
    nodes = two_nodes(make_app)
    sent = form_with_token(nodes[0], url, data)  # one form, sent twice (two tabs, a retry)

    def send(node: Any) -> Callable[[threading.Barrier], Any]:
        def job(barrier: threading.Barrier) -> Any:
            token = csrf_token(node.get(url).get_data(as_text=True))
            barrier.wait()
            return node.post(url, data={**sent, "csrf_token": token})

        return job

    answers = run_at_once(send(nodes[0]), send(nodes[1]))
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    assert count(model) == 1


# --- two first saves of one form at once; an UPDATE that matches no row ---------------------


@pytest.mark.req("REL-01")
def test_two_first_saves_of_a_visit_form_at_once_one_saves_the_other_gets_409(
    make_app, client, subject
):
    url = f"/subjects/{subject.id}/visits/3/vitals"
    nodes = two_nodes(make_app)

    def save(node: Any, weight: str) -> Callable[[threading.Barrier], Any]:
        def job(barrier: threading.Barrier) -> Any:
            token = csrf_token(node.get(url).get_data(as_text=True))  # the empty form
            barrier.wait()
            return node.post(
                url, data={"csrf_token": token, **VITALS, "weight": weight, "version": ""}
            )

        return job

    answers = run_at_once(save(nodes[0], "58.3"), save(nodes[1], "70"))
    assert sorted(a.status_code for a in answers) == [302, 409]
    assert count(VitalSigns) == 1


@pytest.mark.req("REL-01")
def test_a_first_save_that_hits_the_unique_constraint_is_409_not_500(
    client, auth, subject, monkeypatch
):
    """The loser of two simultaneous first saves did not see the winner's row: it inserts a
    second one for the same visit and the unique constraint refuses it."""
    auth.login("inv.user")
    url = f"/subjects/{subject.id}/visits/3/vitals"
    assert post(client, url, VITALS).status_code == 302
    monkeypatch.setattr(vitals, "for_visit", lambda _visit: None)
    late = post(client, url, {**VITALS, "weight": "70", "version": ""})
    assert late.status_code == 409
    assert "Another user saved this record at the same moment" in late.get_data(as_text=True)
    assert count(VitalSigns) == 1
    db.session.expire_all()
    assert str(db.session.scalar(select(VitalSigns.weight))) == "58.3"


@pytest.mark.req("REL-01")
def test_two_new_aes_at_once_that_take_the_same_number_one_gets_409(
    client, auth, subject, monkeypatch
):
    from studyapp.safety import events

    auth.login("inv.user")
    new = f"/subjects/{subject.id}/adverse-events/new"
    assert post(client, new, ae()).status_code == 302
    monkeypatch.setattr(events, "_next_aespid", lambda _subject_id: 1)  # read before the other
    late = post(client, new, ae(aeterm="Fatigue", ctcae_term="Fatigue"))
    assert late.status_code == 409
    assert count(AdverseEvent) == 1


@contextmanager
def version_moved_under(model: type) -> Iterator[list[int]]:
    """Another node commits a change of the row between this request's read and its UPDATE:
    at the flush that updates a ``model`` row, its version is moved in the database."""
    moved: list[int] = []

    def before_flush(session: Session, _ctx: Any, _objs: Any) -> None:
        rows = [o for o in session.dirty if isinstance(o, model)]
        if rows and not moved:
            table = model.__tablename__  # type: ignore[attr-defined]
            session.connection().exec_driver_sql(
                f'UPDATE "{table}" SET version = version + 1 WHERE id = {int(rows[0].id)}'
            )
            moved.append(rows[0].id)

    event.listen(Session, "before_flush", before_flush)
    try:
        yield moved
    finally:
        event.remove(Session, "before_flush", before_flush)


@pytest.mark.req("REL-01")
def test_an_edit_whose_versioned_update_matches_no_row_is_409_not_500(client, auth, subject):
    auth.login("inv.user")
    url = f"/subjects/{subject.id}/visits/3/vitals"
    assert post(client, url, VITALS).status_code == 302
    record = db.session.scalar(select(VitalSigns))
    version = record.version
    change = {**VITALS, "weight": "61.0", "version": str(version), "reason": "re-weighed"}
    with version_moved_under(VitalSigns) as moved:
        answer = post(client, url, change)
    assert moved
    assert answer.status_code == 409
    assert "Another user saved this record at the same moment" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert str(db.session.scalar(select(VitalSigns.weight))) == "58.3"


# --- two sign-ins at once -------------------------------------------------------------------


@pytest.mark.req("REL-01")
def test_a_sign_in_whose_account_row_changed_meanwhile_still_succeeds(client, auth, users):
    with version_moved_under(User) as moved:
        answer = auth.login("inv.user")
    assert moved
    assert answer.status_code == 302
    assert client.get("/").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, users["investigator"].id).last_login_at is not None


@pytest.mark.req("REL-01")
def test_a_failed_sign_in_whose_account_row_changed_meanwhile_is_counted(client, auth, users):
    with version_moved_under(User) as moved:
        answer = auth.login("inv.user", password="wrong password 123")
    assert moved
    assert answer.status_code == 401
    db.session.expire_all()
    assert db.session.get(User, users["investigator"].id).failed_logins == 1


@pytest.mark.req("REL-01")
def test_two_sign_ins_to_one_account_at_once_never_answer_500(make_app, client, users):
    nodes = [make_app().test_client() for _ in range(2)]

    def sign_in(node: Any) -> Callable[[threading.Barrier], Any]:
        def job(barrier: threading.Barrier) -> Any:
            token = csrf_token(node.get("/login").get_data(as_text=True))
            barrier.wait()
            return node.post(
                "/login",
                data={"csrf_token": token, "username": "inv.user", "password": factories.PASSWORD},
            )

        return job

    answers = run_at_once(sign_in(nodes[0]), sign_in(nodes[1]))
    assert [a.status_code for a in answers] == [302, 302]
