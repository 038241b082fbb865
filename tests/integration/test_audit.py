"""The audit trail by construction: rows, reasons, append-only, chain, concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from studyapp.audit import acting_as, set_reason
from studyapp.audit.models import AuditLog
from studyapp.audit.services import verify_chain
from studyapp.db import freeze_clock
from studyapp.errors import AuditIntegrityError, ReasonRequired
from studyapp.extensions import db
from tests.audit_model import TABLE, Vitals, create_table

pytestmark = pytest.mark.both_engines  # triggers, the audit capture, concurrent writers


@pytest.fixture
def vitals_table(app):
    create_table()


def rows_for(row_id: int | str, **filters) -> list[AuditLog]:
    query = select(AuditLog).where(AuditLog.table_name == TABLE, AuditLog.row_id == str(row_id))
    for key, value in filters.items():
        query = query.where(getattr(AuditLog, key) == value)
    return list(db.session.scalars(query.order_by(AuditLog.seq)))


def new_vitals(user, **values) -> Vitals:
    with acting_as(user):
        row = Vitals(subject_id=7, visit_date=date(2026, 3, 2), weight_kg=Decimal("61.5"), **values)
        db.session.add(row)
        db.session.commit()
    return row


@pytest.mark.req("P11-05", "GCP-06")
def test_insert_writes_one_row_per_field_with_who_when_and_versions(app, users, vitals_table):
    moment = datetime(2026, 3, 2, 16, 30, 5, tzinfo=UTC)
    freeze_clock(moment)
    investigator = users["investigator"]
    row = new_vitals(investigator, comment="pre-dose")
    audit = {r.field: r for r in rows_for(row.id)}
    assert set(audit) == {"id", "subject_id", "visit_date", "weight_kg", "comment"}
    weight = audit["weight_kg"]
    assert (weight.action, weight.old_value, weight.new_value) == ("insert", None, "61.5")
    assert audit["visit_date"].new_value == "2026-03-02"
    assert weight.user_id == investigator.id
    assert weight.username == "inv.user"
    assert weight.role == "investigator"
    assert weight.ts == moment
    assert weight.subject_id == 7
    assert weight.app_version == app.config["APP_VERSION"]
    assert weight.protocol_version == app.config["PROTOCOL_VERSION"]
    assert weight.client == "cli"
    assert row.version == 1
    assert row.created_by_id == investigator.id


@pytest.mark.req("P11-05", "GCP-02")
def test_update_needs_a_reason_and_records_old_and_new(app, users, vitals_table):
    row = new_vitals(users["investigator"])
    with acting_as(users["coordinator"]):
        row.weight_kg = Decimal("62.0")
        with pytest.raises(ReasonRequired):
            db.session.flush()
        db.session.rollback()
        row.weight_kg = Decimal("62.0")
        set_reason("transcription error")
        db.session.commit()
    (change,) = rows_for(row.id, action="update")
    assert (change.field, change.old_value, change.new_value) == ("weight_kg", "61.5", "62.0")
    assert change.reason == "transcription error"
    assert change.username == "crc.user"
    assert row.version == 2
    assert row.updated_by_id == users["coordinator"].id


@pytest.mark.req("GCP-02")
def test_filling_an_empty_field_needs_no_reason_but_changing_it_does(app, users, vitals_table):
    row = new_vitals(users["investigator"])
    with acting_as(users["investigator"]):
        row.comment = "measured after voiding"
        db.session.commit()
        (filled,) = rows_for(row.id, action="update")
        assert (filled.old_value, filled.new_value, filled.reason) == (
            None,
            "measured after voiding",
            None,
        )
        row.comment = "measured before voiding"
        with pytest.raises(ReasonRequired):
            db.session.flush()
        db.session.rollback()


@pytest.mark.req("GCP-02")
def test_a_row_inserted_in_the_same_transaction_changes_without_a_reason(app, users, vitals_table):
    from tests.audit_model import Vitals

    with acting_as(users["investigator"]):
        row = Vitals(subject_id=1, weight_kg=Decimal("61.5"))
        db.session.add(row)
        db.session.flush()  # e.g. an autoflush by a query while the form is applied
        row.weight_kg = Decimal("61.9")
        db.session.commit()
        (insert,) = rows_for(row.id, action="insert", field="weight_kg")
        (update,) = rows_for(row.id, action="update")
        assert (insert.new_value, update.old_value, update.new_value) == ("61.5", "61.5", "61.9")
        row.weight_kg = Decimal("62.0")  # now saved: a change needs a reason again
        with pytest.raises(ReasonRequired):
            db.session.flush()
        db.session.rollback()


@pytest.mark.req("P11-07")
def test_two_edits_keep_three_values_in_order(app, users, vitals_table):
    row = new_vitals(users["investigator"])
    for value, why in (("62.0", "scale recalibrated"), ("62.4", "source document")):
        with acting_as(users["investigator"]):
            row.weight_kg = Decimal(value)
            set_reason(why)
            db.session.commit()
    history = rows_for(row.id, field="weight_kg")
    assert [(h.old_value, h.new_value) for h in history] == [
        (None, "61.5"),
        ("61.5", "62.0"),
        ("62.0", "62.4"),
    ]
    assert [h.reason for h in history[1:]] == ["scale recalibrated", "source document"]


@pytest.mark.req("P11-03", "P11-05")
def test_removal_is_a_soft_delete_with_reason(app, users, vitals_table):
    row = new_vitals(users["investigator"])
    with acting_as(users["investigator"]):
        with pytest.raises(ReasonRequired):
            row.soft_delete("  ")
        row.soft_delete("entered for the wrong subject")
        db.session.commit()
    deletion = rows_for(row.id, action="delete")
    assert {d.field for d in deletion} == {"deleted_at", "delete_reason"}
    assert all(d.reason == "entered for the wrong subject" for d in deletion)
    assert db.session.get(Vitals, row.id).is_deleted


@pytest.mark.req("P11-03")
def test_hard_delete_of_study_data_is_refused(app, users, vitals_table):
    row = new_vitals(users["investigator"])
    db.session.delete(row)
    with pytest.raises(AuditIntegrityError):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(Vitals, row.id) is not None


@pytest.mark.req("P11-06")
@pytest.mark.parametrize(
    "statement",
    [
        lambda: update(Vitals).values(comment="x"),
        lambda: delete(Vitals),
        lambda: update(AuditLog).values(reason="x"),
        lambda: delete(AuditLog),
    ],
    ids=["update-model", "delete-model", "update-audit", "delete-audit"],
)
def test_bulk_statements_on_audited_tables_are_refused(app, users, vitals_table, statement):
    new_vitals(users["investigator"])
    with pytest.raises(AuditIntegrityError):
        db.session.execute(statement())
    db.session.rollback()


@pytest.mark.req("P11-03")
def test_audit_rows_cannot_be_changed_through_the_orm(app, users, vitals_table):
    row = new_vitals(users["investigator"])
    audit = rows_for(row.id)[0]
    audit.new_value = "forged"
    with pytest.raises(AuditIntegrityError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(rows_for(row.id)[0])
    with pytest.raises(AuditIntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.req("P11-03")
@pytest.mark.parametrize("sql", ["UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log"])
def test_database_trigger_refuses_update_and_delete(app, users, vitals_table, sql):
    new_vitals(users["investigator"])
    with db.engine.connect() as conn, pytest.raises((DBAPIError, IntegrityError)) as excinfo:
        conn.execute(text(sql))
    assert "append-only" in str(excinfo.value)


def test_postgresql_trigger_refuses_truncate(app, users):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    with db.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(text("TRUNCATE audit_log"))


def _tamper(sql: str) -> None:
    """Change an audit row behind the app's back, as a privileged database user could."""
    db.session.close()  # release this session's SQLite write lock first
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(sql))
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
            conn.execute(text(sql))


@pytest.mark.req("REL-03")
def test_audit_verify_finds_the_first_tampered_row(app, users, vitals_table):
    row = new_vitals(users["investigator"])
    assert verify_chain().ok
    target = rows_for(row.id, field="weight_kg")[0].seq
    _tamper(f"UPDATE audit_log SET new_value = '60.0' WHERE seq = {target}")
    db.session.expire_all()
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_seq == target
    assert result.rows == target - 1


@pytest.mark.req("REL-02")
def test_an_audit_failure_rolls_back_the_data(app, users, vitals_table, monkeypatch):
    row = new_vitals(users["investigator"])

    def broken(*_args, **_kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("studyapp.audit.chain.row_hash", broken)
    with acting_as(users["investigator"]):
        row.weight_kg = Decimal("80.0")
        set_reason("test")
        with pytest.raises(RuntimeError):
            db.session.commit()
    db.session.rollback()
    monkeypatch.undo()
    db.session.expire_all()
    assert db.session.get(Vitals, row.id).weight_kg == Decimal("61.5")
    assert rows_for(row.id, action="update") == []


@pytest.mark.req("REL-03")
def test_parallel_writers_build_one_unbroken_chain(app, users, vitals_table):
    writers, per_writer = 20, 3
    errors: list[BaseException] = []
    user_id = users["investigator"].id

    def write(n: int) -> None:
        with app.app_context():
            try:
                from studyapp.auth.models import User

                user = db.session.get(User, user_id)
                for i in range(per_writer):
                    with acting_as(user):
                        db.session.add(Vitals(subject_id=n, comment=f"w{n}-{i}"))
                        db.session.commit()
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    db.session.close()  # the test's own session must not hold SQLite's write lock
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = verify_chain()
    assert result.ok
    inserted = db.session.scalar(
        select(db.func.count()).select_from(AuditLog).where(AuditLog.table_name == TABLE)
    )
    # each row audits id, subject_id and comment
    assert inserted == writers * per_writer * 3
    seqs = list(db.session.scalars(select(AuditLog.seq).order_by(AuditLog.seq)))
    assert seqs == list(range(1, len(seqs) + 1))


@pytest.mark.req("GCP-06")
def test_times_are_stored_in_utc_in_both_engines(app, users, vitals_table):
    moment = datetime(2026, 1, 31, 23, 59, 59, 500000, tzinfo=UTC)
    freeze_clock(moment)
    row_id = new_vitals(users["investigator"]).id
    db.session.close()
    with db.engine.connect() as conn:
        raw = conn.execute(
            text("SELECT ts FROM audit_log WHERE table_name = :t AND row_id = :r LIMIT 1"),
            {"t": TABLE, "r": str(row_id)},
        ).scalar_one()
    if db.engine.dialect.name == "sqlite":
        assert raw == "2026-01-31T23:59:59.500000Z"
    else:
        assert raw == moment
        assert raw.utcoffset() is not None
    with app.test_request_context():
        from studyapp.web.filters import localtime

        assert localtime(moment) == "2026-02-01 07:59 (+08:00)"


def test_naive_datetimes_are_refused(app, users, vitals_table):
    row = new_vitals(users["investigator"])
    row.deleted_at = datetime(2026, 1, 1)  # noqa: DTZ001 - the point of the test
    row.delete_reason = "x"
    with pytest.raises(Exception, match="naive datetime"):
        db.session.flush()
    db.session.rollback()


@pytest.mark.req("PRV-02")
def test_a_reason_holding_an_identifier_is_refused_before_it_reaches_the_trail(app):
    from studyapp.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as excinfo:
        set_reason("patient asked to call 13912345678")
    assert "reason" in excinfo.value.field_errors
