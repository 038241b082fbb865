"""One transaction per request (ARCHITECTURE "Request life"): services flush, the edge commits.

Routes of a test blueprint write through the session without committing, as services do;
the web shell commits a success once, rolls back anything else, and answers a commit that
loses to another request's row with 409, never 500.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Blueprint, flash
from sqlalchemy import create_engine, select, text

from studyapp.audit import acting_as
from studyapp.auth.models import User
from studyapp.errors import ValidationFailed
from studyapp.extensions import db
from studyapp.transaction import transaction

pytestmark = pytest.mark.both_engines  # rollback and commit on each engine

edge = Blueprint("edge_test", __name__)


def _user(username: str) -> User:
    return User(
        username=username,
        full_name="Edge Test",
        email=f"{username}@example.org",
        role="investigator",
        password_hash="x",
        identity_verification="test",
    )


@edge.post("/edge/ok")
def ok() -> Any:
    with acting_as(None):
        db.session.add(_user("edge.ok"))
        db.session.flush()
    return "saved", 200


@edge.post("/edge/refused")
def refused() -> Any:
    with acting_as(None):
        db.session.add(_user("edge.refused"))
        db.session.flush()
    raise ValidationFailed("no")


@edge.post("/edge/duplicate")
def duplicate() -> Any:
    """A row another request made first: the clash shows only when the edge commits."""
    with acting_as(None):
        db.session.add(_user("edge.taken"))
    flash("Saved.")
    return "saved", 200


@pytest.fixture
def edge_app(make_app: Any) -> Any:
    app = make_app(WTF_CSRF_ENABLED=False)
    app.register_blueprint(edge)
    return app


def _stored(url: str, username: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.execute(
                text('SELECT 1 FROM "user" WHERE username = :u'), {"u": username}
            ).first()
            return found is not None
    finally:
        engine.dispose()


def test_a_success_is_committed_once_by_the_edge(edge_app: Any, database_url: str) -> None:
    answer = edge_app.test_client().post("/edge/ok")
    assert answer.status_code == 200
    assert _stored(database_url, "edge.ok")


def test_a_refused_request_writes_nothing(edge_app: Any, database_url: str) -> None:
    answer = edge_app.test_client().post("/edge/refused")
    assert answer.status_code == 400 or answer.status_code == 422
    assert not _stored(database_url, "edge.refused")


def test_a_commit_that_loses_a_race_answers_409_and_drops_the_success_message(
    edge_app: Any, database_url: str
) -> None:
    with edge_app.app_context(), transaction(), acting_as(None):
        db.session.add(_user("edge.taken"))
    client = edge_app.test_client()
    answer = client.post("/edge/duplicate")
    assert answer.status_code == 409
    assert b"Traceback" not in answer.data
    with client.session_transaction() as cookie:
        assert "_flashes" not in cookie


def test_a_transaction_block_commits_at_its_end_or_not_at_all(
    edge_app: Any, database_url: str
) -> None:
    with edge_app.app_context():
        with pytest.raises(RuntimeError):
            _write_then_fail()
        with transaction(), acting_as(None):
            db.session.add(_user("edge.block.ok"))
        names = set(db.session.scalars(select(User.username)))
    assert "edge.block.ok" in names
    assert "edge.block.failed" not in names


def _write_then_fail() -> None:
    with transaction(), acting_as(None):
        db.session.add(_user("edge.block.failed"))
        db.session.flush()
        raise RuntimeError("stop")
