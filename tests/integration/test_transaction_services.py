"""Services flush, the edge commits once (issue 12 item 2; ARCHITECTURE "Request life").

What a request or command stored is read through a connection of its own, outside the
application's session, so only committed rows are seen.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session

from studyapp.auth import admin
from studyapp.db import freeze_clock
from studyapp.errors import ValidationFailed
from studyapp.subjects import services
from tests import factories

pytestmark = pytest.mark.both_engines  # rollback and commit on each engine

DAY1 = date(2026, 3, 2)


def _read(url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


def _user_rows(url: str, username: str) -> list[tuple[Any, ...]]:
    return _read(url, 'SELECT id FROM "user" WHERE username = :u', u=username)


@contextmanager
def counting_commits() -> Iterator[list[Session]]:
    commits: list[Session] = []

    def seen(session: Session) -> None:
        commits.append(session)

    event.listen(Session, "after_commit", seen)
    try:
        yield commits
    finally:
        event.remove(Session, "after_commit", seen)


NEW_USER = {
    "username": "dr.lin",
    "full_name": "Dr Lin Tao",
    "email": "lin.tao@hospital.example",
    "role": "investigator",
    "identity_verification": "staff card seen in person",
}


@pytest.mark.req("REL-01")
def test_a_user_admin_action_that_fails_midway_leaves_nothing_written(
    client, users, auth, database_url, monkeypatch
):
    """The account row and its audit rows are flushed before the code is issued."""

    def refuse(*_args: Any) -> Any:
        raise ValidationFailed("the code could not be issued")

    monkeypatch.setattr(admin, "_issue_code", refuse)
    auth.login("dm.user")
    answer = auth.post("/admin/users/new", NEW_USER)
    assert answer.status_code == 422
    assert _user_rows(database_url, "dr.lin") == []
    created = "SELECT 1 FROM audit_log WHERE action = 'user_created' AND new_value = :role"
    assert _read(database_url, created, role="investigator") == []


@pytest.mark.req("REL-01")
def test_an_enrolment_that_fails_after_taking_a_number_leaves_nothing_written(
    client, users, auth, database_url, monkeypatch
):
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subject = factories.make_signed(users["investigator"], screened=date(2026, 3, 1))
    counter = "SELECT value FROM counter WHERE name = 'subject'"
    before = _read(database_url, counter)

    def refuse() -> Any:  # the last step of enrol, after the number and Day 1 are set
        raise ValidationFailed("the clock failed")

    monkeypatch.setattr(services, "utcnow", refuse)
    auth.login("crc.user")
    answer = auth.post(f"/subjects/{subject.id}/enrol", {"day1": DAY1.isoformat()})
    assert answer.status_code == 422
    stored = "SELECT status, subject_number, day1_date FROM subject WHERE id = :i"
    assert _read(database_url, stored, i=subject.id) == [("screening", None, None)]
    assert _read(database_url, counter) == before


@pytest.mark.req("REL-01")
def test_a_successful_post_is_committed_once_by_the_edge(client, users, auth, database_url):
    target = users["investigator"]
    auth.login("dm.user")
    token_page = f"/admin/users/{target.id}"
    with counting_commits() as commits:
        answer = auth.post(
            f"/admin/users/{target.id}/deactivate", {"reason": "left the site"}, page=token_page
        )
    assert answer.status_code == 302
    assert len(commits) == 2  # the GET that fetched the form token, then the POST
    active = _read(database_url, 'SELECT active FROM "user" WHERE id = :i', i=target.id)
    assert active == [(False,)] or active == [(0,)]
    audit = "SELECT reason FROM audit_log WHERE action = 'user_deactivated' AND row_id = :i"
    assert _read(database_url, audit, i=str(target.id)) == [("left the site",)]


@pytest.mark.req("SEC-04")
def test_a_refused_signature_is_counted_although_the_answer_is_an_error(
    client, users, auth, database_url
):
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    inv = users["investigator"]
    subject = factories.make_eligible(inv, screened=date(2026, 3, 1))
    auth.login("inv.user")
    answer = auth.post(
        f"/subjects/{subject.id}/eligibility",
        {"password": "wrong password here", "username": "inv.user"},
    )
    assert answer.status_code == 422
    assert _read(database_url, 'SELECT failed_logins FROM "user" WHERE id = :i', i=inv.id) == [(1,)]
    failed = "SELECT 1 FROM audit_log WHERE action = 'signature_failed'"
    assert len(_read(database_url, failed)) == 1
    signed = "SELECT eligibility_signature_id FROM subject WHERE id = :i"
    assert _read(database_url, signed, i=subject.id) == [(None,)]


@pytest.mark.req("SEC-04")
def test_a_failed_sign_in_is_counted_although_the_answer_is_401(client, users, auth, database_url):
    answer = auth.login("inv.user", password="wrong password 123")
    assert answer.status_code == 401
    uid = users["investigator"].id
    assert _read(database_url, 'SELECT failed_logins FROM "user" WHERE id = :i', i=uid) == [(1,)]


@pytest.mark.req("SEC-04")
def test_a_wrong_set_up_code_is_counted_although_the_answer_is_401(
    client, users, auth, database_url
):
    phrase = "a long enough new passphrase 42"
    answer = auth.post(
        "/reset",
        {"username": "inv.user", "code": "AAAA-BBBB-CCCC", "new": phrase, "confirm": phrase},
    )
    assert answer.status_code == 401
    assert 'value="inv.user"' in answer.get_data(as_text=True)  # the typed username is kept
    uid = users["investigator"].id
    assert _read(database_url, 'SELECT failed_logins FROM "user" WHERE id = :i', i=uid) == [(1,)]


def test_the_create_user_command_commits_its_account(app, database_url):
    runner = app.test_cli_runner()
    args = ["create-user", "--username", "first.dm", "--full-name", "First Manager"]
    result = runner.invoke(args=[*args, "--password", "a long console passphrase 42"])
    assert result.exit_code == 0, result.output
    assert len(_user_rows(database_url, "first.dm")) == 1
    audit = "SELECT 1 FROM audit_log WHERE action = 'user_created' AND new_value = 'data_manager'"
    assert len(_read(database_url, audit)) == 1


def test_a_failing_command_writes_nothing(app, database_url, monkeypatch):
    def refuse(*_args: Any, **_kw: Any) -> None:
        raise ValidationFailed("refused after the account was flushed")

    monkeypatch.setattr("studyapp.auth.admin.log_event", refuse)
    runner = app.test_cli_runner()
    args = ["create-user", "--username", "second.dm", "--full-name", "Second Manager"]
    result = runner.invoke(args=[*args, "--password", "a long console passphrase 42"])
    assert result.exit_code != 0
    assert "refused after the account was flushed" in result.output
    assert _user_rows(database_url, "second.dm") == []
