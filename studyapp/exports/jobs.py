"""Export jobs: a page asks for a file, the file is made in the background with its progress
in the database, and the page offers it for download when it is ready.

An edge like a command (it commits): the job row and its progress are bookkeeping, not study
data; the file's audit event is written by ``runner.produce`` in the job's own transaction.
Progress goes through a connection of its own, so the export's reads are not disturbed.

Under Testing (``EXPORT_INLINE``) the job runs inside the request that starts it. Files live
in ``EXPORT_DIR`` (default ``instance/exports``); with several app nodes that folder must be
shared storage (docs/deployment.md). Files older than ``EXPORT_KEEP_HOURS`` are removed.
"""

from __future__ import annotations

import secrets
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Date, ForeignKey, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, mapped_column

from studyapp import db as dbmod
from studyapp.audit.context import EVENTS_KEY, acting_as, log_event
from studyapp.db import UTCDateTime, utcnow
from studyapp.errors import DomainError
from studyapp.exports import registry, runner
from studyapp.extensions import db

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
#: Seconds between two progress writes of one job.
PROGRESS_EVERY = 0.5


class ExportJob(db.Model):  # type: ignore[name-defined]
    """One requested file: its parameters, progress and result (bookkeeping)."""

    __tablename__ = "export_job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    cutoff: Mapped[date | None] = mapped_column(Date)
    subject_id: Mapped[int | None] = mapped_column(Integer)
    locale: Mapped[str] = mapped_column(String(10), nullable=False, default="en")
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=QUEUED)
    done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    filename: Mapped[str | None] = mapped_column(String(200))
    mimetype: Mapped[str | None] = mapped_column(String(100))
    path: Mapped[str | None] = mapped_column(String(500))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def percent(self) -> int:
        if self.status == DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


def export_dir() -> Path:
    configured = current_app.config.get("EXPORT_DIR")
    folder = Path(configured) if configured else Path(current_app.instance_path) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def create(actor: Any, kind: str, ctx: registry.ExportContext) -> ExportJob:
    """Check the request (permission, subject, cut-off) and record the job (flushes)."""
    runner.check(kind, actor, ctx)
    job = ExportJob(
        token=secrets.token_urlsafe(24),
        kind=kind,
        user_id=actor.id,
        cutoff=ctx.cutoff,
        subject_id=ctx.subject_id,
        locale=ctx.locale,
    )
    db.session.add(job)
    db.session.flush()
    return job


def find(actor: Any, token: str) -> ExportJob | None:
    """A job of *actor*'s (a file is handed only to whom asked for it)."""
    return db.session.scalar(
        select(ExportJob).where(ExportJob.token == token, ExportJob.user_id == actor.id)
    )


def recent(actor: Any, limit: int = 10) -> list[ExportJob]:
    query = select(ExportJob).where(ExportJob.user_id == actor.id)
    return list(db.session.scalars(query.order_by(ExportJob.id.desc()).limit(limit)))


def launch(job: ExportJob, response: Any) -> None:
    """Run the job: now (Testing), or in a thread once the request has committed it and
    sent *response* (the page that follows the job's progress)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("EXPORT_INLINE"):
        _run(job, inline=True)
        return
    job_id = job.id
    response.call_on_close(lambda: spawn(_in_thread, app, job_id))


def spawn(target: Any, *args: Any) -> threading.Thread:
    """Start *target* in a daemon thread (the job outlives the request that asked for it)."""
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def _in_thread(app: Flask, job_id: int) -> None:
    with app.app_context():
        job = db.session.get(ExportJob, job_id)
        if job is not None:
            _run(job, inline=False)
            db.session.commit()
        db.session.remove()


def _progress(job_id: int) -> registry.Progress:
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY and done < total:
            return
        last[0] = now
        with db.engine.begin() as conn:
            conn.execute(
                update(ExportJob).where(ExportJob.id == job_id).values(done=done, total=total)
            )

    return report


def _run(job: ExportJob, inline: bool = True) -> None:
    from studyapp.auth.models import User

    purge()
    job_id = job.id
    actor = db.session.get(User, job.user_id)
    out = export_dir() / f"{job.token}.part"
    ctx = registry.ExportContext(
        actor=actor,
        cutoff=job.cutoff,
        subject_id=job.subject_id,
        locale=job.locale,
        progress=registry.no_progress if inline else _progress(job_id),
    )
    kind = job.kind
    job.status = RUNNING
    if not inline:
        db.session.commit()
    try:
        result = _produce(kind, ctx, out, inline)
    except Exception as error:  # a failed export is told on its page, not lost
        if not isinstance(error, DomainError):
            current_app.logger.exception("export job %s failed", job_id)
        if not inline:
            db.session.rollback()
        out.unlink(missing_ok=True)
        message = str(error) if isinstance(error, DomainError) else None
        _fail(job_id, message or "The export failed; the error is in the server log.")
        return
    job = db.session.get(ExportJob, job_id) or job
    final = out.with_suffix("")
    out.replace(final)
    job.status, job.path, job.filename = DONE, str(final), result.filename
    job.mimetype, job.sha256, job.size = result.mimetype, result.sha256, result.size
    job.done = job.total = max(job.total, 1)
    job.finished_at = utcnow()
    db.session.flush()


def _produce(kind: str, ctx: registry.ExportContext, out: Path, inline: bool) -> Any:
    """The file, read in a transaction of its own in a thread: on SQLite a reading one, so a
    long export never holds the write lock; its audit event is then written apart."""
    if inline:
        with acting_as(ctx.actor):
            return runner.produce(kind, ctx, out)
    token = dbmod.read_only.set(True)  # before any read: a reading transaction on SQLite
    try:
        with acting_as(ctx.actor):
            result = runner.produce(kind, ctx, out)
        events = db.session.info.pop(EVENTS_KEY, [])
    finally:
        db.session.rollback()
        dbmod.read_only.reset(token)
    for event in events:
        log_event(event)
    return result


def _fail(job_id: int, message: str) -> None:
    job = db.session.get(ExportJob, job_id)
    if job is None:  # pragma: no cover - the row was committed before the run
        return
    job.status, job.error, job.finished_at = FAILED, message, utcnow()
    db.session.flush()


def purge() -> None:
    """Remove files older than EXPORT_KEEP_HOURS (their jobs stay, marked expired)."""
    hours = current_app.config.get("EXPORT_KEEP_HOURS", 24)
    limit = time.time() - hours * 3600
    for path in export_dir().glob("*"):
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def interrupted(job: ExportJob) -> bool:
    """A job still "being made" long after it was asked for: its node stopped meanwhile."""
    minutes = current_app.config.get("EXPORT_STALE_MINUTES", 120)
    started = job.created_at
    return job.status in (QUEUED, RUNNING) and utcnow() - started > timedelta(minutes=minutes)


def expired(job: ExportJob) -> bool:
    return job.status == DONE and (job.path is None or not Path(job.path).exists())
