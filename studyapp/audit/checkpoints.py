"""Writing and checking signed checkpoints of the audit chain (REL-03).

A checkpoint is written on demand (``flask audit-anchor``, the data manager's button) and
by the app itself: after the commit whose audit rows cross a multiple of
``AUDIT_ANCHOR_EVERY_ROWS``, or that is the first write ``AUDIT_ANCHOR_MINUTES`` after the
latest checkpoint. A checkpoint is only signed over rows that verify from the previous one.
"""

from __future__ import annotations

import getpass
import logging
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from studyapp.audit import anchor, chain
from studyapp.audit.context import Event, log_event
from studyapp.audit.models import AuditLog
from studyapp.db import utcnow
from studyapp.errors import AuditIntegrityError
from studyapp.extensions import db
from studyapp.permissions import Action, require

logger = logging.getLogger("studyapp.audit")
ANCHOR_FILE = "audit-anchors.jsonl"
#: session.info key: (head seq before, head seq after) of the audit rows of a transaction.
WRITTEN_KEY = "audit_written"


@dataclass(frozen=True)
class Status:
    """A checkpoint and what checking it against the trail found.

    ``problem`` is None (it holds), "forged" (unreadable or bad signature), "truncated"
    (the chain no longer reaches its seq) or "rewritten" (that row's hash changed).
    """

    checkpoint: anchor.Checkpoint
    problem: str | None
    head_seq: int

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def message(self) -> str | None:
        c = self.checkpoint
        return {
            None: None,
            "forged": f"forged or unreadable checkpoint {c.line}: {c.error}",
            "truncated": f"truncated: the chain ends at seq {self.head_seq} "
            f"but checkpoint {c.line} says {c.seq}",
            "rewritten": f"rewritten since checkpoint {c.line}: the row at seq {c.seq} "
            f"no longer has the hash signed at {c.ts}",
        }[self.problem]


def anchor_path() -> Path:
    configured = current_app.config.get("AUDIT_ANCHOR_PATH")
    return Path(configured or Path(current_app.instance_path) / ANCHOR_FILE)


def _key() -> str:
    return str(current_app.config["AUDIT_ANCHOR_KEY"])


def _head(conn: Connection) -> tuple[int, str]:
    """(seq, hash) of the chain head; (0, GENESIS) when empty."""
    row = conn.execute(
        select(AuditLog.seq, AuditLog.hash).order_by(AuditLog.seq.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row else (0, chain.GENESIS)


def _hashes(conn: Connection, seqs: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(seqs), 500):
        part = seqs[start : start + 500]
        query = select(AuditLog.seq, AuditLog.hash).where(AuditLog.seq.in_(part))
        found.update((seq, row_hash) for seq, row_hash in conn.execute(query))
    return found


def check(checkpoints: list[anchor.Checkpoint], conn: Connection) -> list[Status]:
    """Each checkpoint against the trail: signed, still reached, still the same row."""
    head_seq = _head(conn)[0]
    hashes = _hashes(conn, sorted({c.seq for c in checkpoints if c.error is None}))
    out = []
    for c in checkpoints:
        if c.error is not None:
            problem: str | None = "forged"
        elif c.seq > head_seq:
            problem = "truncated"
        elif hashes.get(c.seq) != c.hash:
            problem = "rewritten"
        else:
            problem = None
        out.append(Status(c, problem, head_seq))
    return out


def check_all() -> list[Status]:
    """Every checkpoint of the anchor file, checked (for ``audit-verify``)."""
    return check(anchor.read_all(anchor_path(), _key()), db.session.connection())


def _verified_head(conn: Connection) -> tuple[int, str, int]:
    """The head, once the rows since the latest good checkpoint verify; else refused."""
    from studyapp.audit.services import iter_chain_rows

    latest = anchor.read_latest(anchor_path(), _key())
    start_seq, start_hash = 0, chain.GENESIS
    if latest is not None and latest.error is None:
        (status,) = check([latest], conn)
        if not status.ok:
            raise AuditIntegrityError(str(status.message))
        start_seq, start_hash = latest.seq, latest.hash
    result = chain.verify(iter_chain_rows(after=start_seq, conn=conn), start_hash, start_seq)
    if not result.ok:
        raise AuditIntegrityError(
            f"the audit chain is broken at seq {result.first_bad_seq} ({result.problem}): "
            "no checkpoint is signed over it"
        )
    seq, head_hash = _head(conn)
    if seq == 0:
        raise AuditIntegrityError("the audit trail is empty: there is nothing to anchor")
    rows = conn.scalar(select(func.count()).select_from(AuditLog)) or 0
    return seq, head_hash, rows


def write_checkpoint(by: str, conn: Connection) -> anchor.Checkpoint:
    """Sign the verified head and append it to the anchor file.

    ``conn`` is the session's own connection (SQLite lets one transaction at a time
    read), or a fresh one once the session has committed.
    """
    seq, head_hash, rows = _verified_head(conn)
    line = anchor.make_line(_key(), seq, head_hash, rows, utcnow(), by)
    anchor.append_line(anchor_path(), line)
    logger.info("audit checkpoint written: seq %s hash %s by %s", seq, head_hash, by)
    return anchor.parse_line(_key(), 0, line)


def anchor_now(actor: Any) -> anchor.Checkpoint:
    """A checkpoint on demand (data manager, or the CLI with ``actor`` None).

    The edge commits the ``audit_anchor`` row. Call this first in its transaction: the
    checkpoint signs the head as this transaction's connection sees it, so rows written
    earlier in the same transaction would be signed before they are committed. The
    periodic checkpoint (``after_commit``) needs no commit of its own: it runs after the
    edge's commit, reads through its own connection and writes only the anchor file.
    """
    if actor is not None:
        require(actor, Action.ANCHOR_AUDIT)
    by = actor.username if actor is not None else _console_user()
    checkpoint = write_checkpoint(by, db.session.connection())
    log_event(
        Event("audit_anchor", new_value=f"seq {checkpoint.seq} {checkpoint.hash}"),
    )
    db.session.flush()
    return checkpoint


def _console_user() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"


def latest_status(actor: Any) -> Status | None:
    """The latest checkpoint and whether it holds now (audit page)."""
    require(actor, Action.VIEW_AUDIT)
    latest = anchor.read_latest(anchor_path(), _key())
    if latest is None:
        return None
    return check([latest], db.session.connection())[0]


def all_statuses(actor: Any) -> list[Status]:
    """Every checkpoint, newest first, checked (the printable page)."""
    require(actor, Action.VIEW_AUDIT)
    return list(reversed(check_all()))


def record_written(session: Session, before: int, after: int) -> None:
    """Called by the audit hook: this transaction moved the head from ``before`` to ``after``."""
    first = session.info.get(WRITTEN_KEY, (before, after))[0]
    session.info[WRITTEN_KEY] = (first, after)


def _due(before: int, after: int) -> bool:
    every = current_app.config.get("AUDIT_ANCHOR_EVERY_ROWS") or 0
    if every and after // every > before // every:
        return True
    minutes = current_app.config.get("AUDIT_ANCHOR_MINUTES") or 0
    if not minutes:
        return False
    latest = anchor.read_latest(anchor_path(), _key())
    if latest is None or latest.error is not None:
        return True
    try:
        signed_at = datetime.fromisoformat(latest.ts)
    except ValueError:
        return True
    return utcnow() - signed_at >= timedelta(minutes=minutes)


def after_commit(session: Session) -> None:
    """The periodic checkpoint: never fails the commit, logs what went wrong instead."""
    span = session.info.pop(WRITTEN_KEY, None)
    if span is None or not has_app_context():
        return
    try:
        if _due(*span):
            with db.engine.connect() as conn:
                write_checkpoint(f"auto@{socket.gethostname()}", conn)
    except Exception:
        logger.exception("the periodic audit checkpoint failed")
