"""Signed checkpoints anchor the audit chain (REL-03): truncation, a rewritten and
re-hashed chain and a forged checkpoint are all reported by ``flask audit-verify``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from studyapp.audit import anchor, chain
from studyapp.audit.models import AuditLog
from studyapp.db import freeze_clock
from studyapp.extensions import db
from tests import factories

pytestmark = pytest.mark.both_engines  # raw SQL on the audit chain


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def anchor_file(app) -> Path:
    return Path(app.config["AUDIT_ANCHOR_PATH"])


def head_seq() -> int:
    return db.session.scalar(select(func.max(AuditLog.seq))) or 0


def tamper(*statements: tuple[str, dict]) -> None:
    """Change audit rows behind the app's back, as whoever can write the database can."""
    db.session.close()
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
        for sql, params in statements:
            conn.execute(text(sql), params)
    db.session.expire_all()


def rewrite_from(seq: int, new_value: str) -> None:
    """Rewrite row ``seq`` and recompute its hash and every later one: the chain verifies."""
    cols = (*chain.HASHED_FIELDS, "prev_hash", "hash")
    rows = [
        dict(r)
        for r in db.session.execute(
            select(*[getattr(AuditLog, c) for c in cols])
            .where(AuditLog.seq >= seq)
            .order_by(AuditLog.seq)
        ).mappings()
    ]
    rows[0]["new_value"] = new_value
    prev, updates = rows[0]["prev_hash"], []
    for row in rows:
        row["prev_hash"] = prev
        row["hash"] = prev = chain.row_hash(prev, row)
        updates.append(
            (
                "UPDATE audit_log SET new_value = :v, prev_hash = :p, hash = :h WHERE seq = :s",
                {"v": row["new_value"], "p": row["prev_hash"], "h": row["hash"], "s": row["seq"]},
            )
        )
    tamper(*updates)


@pytest.mark.req("REL-03")
def test_audit_anchor_writes_a_signed_line_that_verifies(app, users):
    seq = head_seq()
    result = run(app, "audit-anchor")
    assert result.exit_code == 0, result.output
    assert f"seq {seq}," in result.output
    (line,) = anchor_file(app).read_text().splitlines()
    checkpoint = anchor.parse_line(app.config["AUDIT_ANCHOR_KEY"], 1, line)
    assert checkpoint.error is None
    assert checkpoint.seq == seq
    assert checkpoint.hash == db.session.scalar(select(AuditLog.hash).where(AuditLog.seq == seq))
    assert checkpoint.rows == seq
    assert anchor_file(app).stat().st_mode & 0o777 == 0o600
    event = db.session.scalar(select(AuditLog).where(AuditLog.action == "audit_anchor"))
    assert event.new_value == f"seq {seq} {checkpoint.hash}"
    verified = run(app, "audit-verify")
    assert verified.exit_code == 0, verified.output
    assert "OK: 1 checkpoint(s) hold" in verified.output


@pytest.mark.req("REL-03")
def test_truncating_the_last_rows_after_a_checkpoint_is_reported(app, users):
    assert run(app, "audit-anchor").exit_code == 0
    signed = head_seq() - 1  # the anchor's own audit event follows the signed head
    tamper(("DELETE FROM audit_log WHERE seq > :s", {"s": signed - 3}))
    result = run(app, "audit-verify")
    assert result.exit_code == 1
    assert f"OK: {signed - 3} audit rows" in result.output  # the chain alone still verifies
    assert f"truncated: the chain ends at seq {signed - 3} but checkpoint 1 says {signed}" in (
        result.output
    )


@pytest.mark.req("REL-03")
def test_rewriting_a_row_and_recomputing_every_later_hash_is_reported(app, users):
    assert run(app, "audit-anchor").exit_code == 0
    signed = head_seq() - 1
    rewrite_from(2, "forged value")
    result = run(app, "audit-verify")
    assert result.exit_code == 1
    assert f"OK: {signed + 1} audit rows" in result.output  # the chain alone still verifies
    assert f"rewritten since checkpoint 1: the row at seq {signed}" in result.output


@pytest.mark.req("REL-03")
@pytest.mark.parametrize("forge", ["edit", "other_key", "garbage"])
def test_a_forged_checkpoint_line_is_reported(app, users, forge):
    assert run(app, "audit-anchor").exit_code == 0
    path = anchor_file(app)
    fields = json.loads(path.read_text())
    if forge == "edit":  # claim a shorter chain, to cover a truncation
        fields["seq"] -= 3
        line = json.dumps(fields) + "\n"
    elif forge == "other_key":
        line = anchor.make_line("x" * 40, 3, "0" * 64, 3, datetime.now(UTC), "mallory")
    else:
        line = '{"seq": 3, "hash": \n'
    path.write_text(line)
    result = run(app, "audit-verify")
    assert result.exit_code == 1
    assert "forged or unreadable checkpoint 1" in result.output


@pytest.mark.req("REL-03")
def test_no_checkpoint_is_signed_over_a_broken_chain(app, users):
    tamper(("UPDATE audit_log SET new_value = 'x' WHERE seq = 2", {}))
    result = run(app, "audit-anchor")
    assert result.exit_code == 1
    assert "broken at seq 2" in result.output
    assert not anchor_file(app).exists()


@pytest.mark.req("REL-03")
def test_a_checkpoint_is_written_every_n_audit_rows(make_app):
    node = make_app(AUDIT_ANCHOR_EVERY_ROWS=20)
    with node.app_context():
        path = anchor_file(node)
        factories.make_user("first.user")
        assert head_seq() < 20
        assert not path.exists()
        while head_seq() < 20:
            factories.make_user(f"user.{head_seq()}")
        (line,) = path.read_text().splitlines()
        checkpoint = anchor.parse_line(node.config["AUDIT_ANCHOR_KEY"], 1, line)
        assert checkpoint.error is None
        assert checkpoint.seq == head_seq() >= 20
        assert checkpoint.by.startswith("auto@")
        db.session.remove()


@pytest.mark.req("REL-03")
def test_a_checkpoint_is_written_at_the_first_write_after_the_interval(make_app):
    node = make_app(AUDIT_ANCHOR_MINUTES=30)
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    with node.app_context():
        path = anchor_file(node)
        for minutes, name in ((0, "a.user"), (10, "b.user"), (31, "c.user")):
            freeze_clock(start + timedelta(minutes=minutes))
            factories.make_user(name)
        freeze_clock(None)
        key = node.config["AUDIT_ANCHOR_KEY"]
        lines = [anchor.parse_line(key, n, t) for n, t in enumerate(path.read_text().splitlines())]
        assert [c.ts for c in lines] == ["2026-03-02T08:00:00Z", "2026-03-02T08:31:00Z"]
        assert lines[-1].seq == head_seq()
        assert run(node, "audit-verify").exit_code == 0
        db.session.remove()


@pytest.mark.req("REL-03")
def test_data_manager_sees_the_latest_checkpoint_writes_one_and_prints_them(app, users, auth):
    auth.login("dm.user")
    page = auth.client.get("/audit/").get_data(as_text=True)
    assert "No checkpoint has been written yet." in page
    response = auth.post("/audit/checkpoints", {}, page="/audit/")
    assert response.status_code == 302
    (line,) = anchor_file(app).read_text().splitlines()
    checkpoint = anchor.parse_line(app.config["AUDIT_ANCHOR_KEY"], 1, line)
    assert checkpoint.by == "dm.user"
    page = auth.client.get("/audit/").get_data(as_text=True)
    assert f"Checkpoint written: seq {checkpoint.seq}." in page
    assert checkpoint.hash in page
    assert 'data-status="ok"' in page
    printable = auth.client.get("/audit/checkpoints")
    assert printable.status_code == 200
    body = printable.get_data(as_text=True)
    assert checkpoint.hash in body
    assert 'data-status="ok"' in body
    tamper(("DELETE FROM audit_log WHERE seq >= :s", {"s": checkpoint.seq}))
    assert 'data-status="truncated"' in auth.client.get("/audit/").get_data(as_text=True)


@pytest.mark.req("REL-03")
def test_only_the_data_manager_may_write_a_checkpoint(app, users, auth):
    auth.login("mon.user")
    page = auth.client.get("/audit/").get_data(as_text=True)
    assert "Write a checkpoint now" not in page
    assert auth.client.get("/audit/checkpoints").status_code == 200
    assert auth.post("/audit/checkpoints", {}, page="/audit/").status_code == 403
    assert not anchor_file(app).exists()
    auth.logout()
    auth.login("crc.user")
    assert auth.client.get("/audit/checkpoints").status_code == 403
