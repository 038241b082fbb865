"""Serious adverse events: their reporting clocks and the reports sent to the sponsor.

An SAE is the first serious record of an AE episode (grade changes continue the episode).
Its clocks start at the awareness time: the initial report within the protocol's hours
(``safety.sae_sponsor_hours``), and for a SUSAR (serious, related, unexpected) the expedited
7- or 15-day reports (``clinical.adverse.expedited_kinds``). Reports are drafted, then
submitted: the PDF made at submission is kept with its SHA-256, and its time stops the clock.
Follow-up reports are numbered and listed with their submission times.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from studyapp.audit import set_reason
from studyapp.auth.models import User
from studyapp.clinical import adverse
from studyapp.db import site_zone, utcnow
from studyapp.errors import Conflict, NotFound
from studyapp.extensions import db
from studyapp.permissions import Action, require
from studyapp.privacy import check_free_text
from studyapp.protocol.loader import get_protocol
from studyapp.safety.events import episode
from studyapp.safety.models import FOLLOW_UP, INITIAL, AdverseEvent, SaeReport
from studyapp.subjects.guards import get_subject, invalid
from studyapp.subjects.models import Subject
from studyapp.visits import context as crf

#: Report kinds a user can draft: the initial SAE report, a follow-up, the SUSAR reports.
KINDS = (INITIAL, FOLLOW_UP, "SUSAR_FATAL", "SUSAR_FATAL_FOLLOWUP", "SUSAR")


@dataclass
class Sae:
    """One serious episode with its clocks and reports."""

    record: AdverseEvent
    subject: Subject
    clocks: list[adverse.Clock]
    reports: list[SaeReport] = field(default_factory=list)

    @property
    def overdue(self) -> bool:
        return any(c.state == adverse.OVERDUE for c in self.clocks)

    @property
    def open_clock(self) -> adverse.Clock | None:
        """The clock that ends first among those still running."""
        running = [c for c in self.clocks if c.state in (adverse.OPEN, adverse.OVERDUE)]
        return min(running, key=lambda c: c.deadline) if running else None

    def kinds_needed(self) -> list[str]:
        return [c.kind for c in self.clocks]


def required_kinds(record: AdverseEvent) -> list[str]:
    """The clocked reports an SAE needs: the initial report, plus SUSAR reports if it is one.

    Every serious record of the episode counts: a grade change that turns the event fatal,
    related or unexpected adds the SUSAR clocks (from the first awareness, the earlier day).
    """
    rule = get_protocol().safety
    records = [r for r in episode(record) if r.aeser] or [record]
    expedited = adverse.expedited_kinds(
        serious=True,
        related=any(
            r.relatedness is not None and adverse.is_related(r.relatedness, rule) for r in records
        ),
        # Not assessed counts as unexpected: a missing answer never hides a SUSAR clock.
        expected=all(r.expected is True for r in records),
        fatal_or_life_threatening=any(r.aesdth or r.aeslife for r in records),
    )
    return [INITIAL, *expedited]


def clocks(record: AdverseEvent, reports: list[SaeReport], now: datetime) -> list[adverse.Clock]:
    """Each required report's clock: stopped by the first submitted report of its kind."""
    if record.aware_at is None:
        return []
    rule = get_protocol().safety
    aware = record.aware_at.astimezone(site_zone())
    out = []
    for kind in required_kinds(record):
        sent = [r.submitted_at for r in reports if r.kind == kind and r.submitted_at]
        out.append(adverse.clock(kind, aware, rule, now=now, submitted_at=min(sent, default=None)))
    return out


def _serious_records(subject_id: int | None = None) -> list[AdverseEvent]:
    """The first serious record of every episode (not removed, awareness time known)."""
    query = (
        select(AdverseEvent)
        .where(
            AdverseEvent.aeser.is_(True),
            AdverseEvent.aware_at.is_not(None),
            AdverseEvent.deleted_at.is_(None),
        )
        .order_by(AdverseEvent.aware_at, AdverseEvent.id)
    )
    if subject_id is not None:
        query = query.where(AdverseEvent.subject_id == subject_id)
    first: dict[int | None, AdverseEvent] = {}
    for record in db.session.scalars(query):
        first.setdefault(record.episode_id, record)
    return list(first.values())


def reports_of(record: AdverseEvent) -> list[SaeReport]:
    return list(
        db.session.scalars(
            select(SaeReport)
            .where(SaeReport.ae_id == record.id, SaeReport.deleted_at.is_(None))
            .order_by(SaeReport.number, SaeReport.id)
        )
    )


def saes(actor: User, now: datetime | None = None, subject_id: int | None = None) -> list[Sae]:
    """Every SAE (or one subject's) with its clocks at *now*, overdue ones first."""
    require(actor, Action.VIEW_STUDY_DATA)
    now = now or utcnow()
    out = []
    for record in _serious_records(subject_id):
        reports = reports_of(record)
        subject = db.session.get_one(Subject, record.subject_id)
        out.append(Sae(record, subject, clocks(record, reports, now), reports))
    out.sort(key=lambda s: (not s.overdue, s.open_clock is None, s.record.aware_at))
    return out


def sae_of(actor: User, subject_id: int, ae_id: int, now: datetime | None = None) -> Sae:
    """The SAE an AE record belongs to (its episode's first serious record)."""
    require(actor, Action.VIEW_STUDY_DATA)
    subject = get_subject(actor, subject_id)
    record = db.session.get(AdverseEvent, ae_id)
    if record is None or record.subject_id != subject.id or record.is_deleted:
        raise NotFound(_("No such adverse event."))
    for first in _serious_records(subject.id):
        if first.episode_id == record.episode_id:
            reports = reports_of(first)
            return Sae(first, subject, clocks(first, reports, now or utcnow()), reports)
    raise NotFound(_("This adverse event is not serious."))


def get_report(sae: Sae, report_id: int) -> SaeReport:
    for report in sae.reports:
        if report.id == report_id:
            return report
    raise NotFound(_("No such report."))


def save_report(
    actor: User,
    sae: Sae,
    *,
    kind: str | None,
    narrative: str | None,
    report: SaeReport | None = None,
    version: int | None = None,
    reason: str | None = None,
) -> SaeReport:
    """Draft (or correct a draft of) a report; a submitted report is never changed."""
    require(actor, Action.RECORD_SAFETY)
    text = (narrative or "").strip()
    if kind not in KINDS:
        raise invalid("kind", _("Choose the kind of report."))
    if not text:
        raise invalid("narrative", _("Write the narrative: what happened, when, what was done."))
    check_free_text({"narrative": text})
    if report is None:
        report = SaeReport(
            subject_id=sae.record.subject_id,
            ae_id=sae.record.id,
            kind=kind,
            number=_next_number(sae.record.id, kind),
        )
        db.session.add(report)
    else:
        crf.check_version(report, version)
        if report.submitted_at is not None:
            raise Conflict(_("A submitted report is not changed: write a follow-up report."))
        set_reason(reason)
        report.kind = kind
    report.narrative = text
    db.session.flush()
    return report


def _next_number(ae_id: int, kind: str) -> int:
    if kind != FOLLOW_UP:
        return 0
    highest = db.session.scalar(
        select(func.max(SaeReport.number)).where(
            SaeReport.ae_id == ae_id, SaeReport.kind == FOLLOW_UP
        )
    )
    return (highest or 0) + 1


def submit(actor: User, report: SaeReport, pdf: bytes, *, version: int | None) -> SaeReport:
    """Record the submission: the PDF and its hash are kept, the clock of its kind stops."""
    require(actor, Action.RECORD_SAFETY)
    crf.check_version(report, version)
    if report.submitted_at is not None:
        raise Conflict(_("This report was already submitted."))
    report.pdf = pdf
    report.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    report.submitted_at = utcnow()
    report.submitted_by_id = actor.id
    db.session.flush()
    return report


def overdue(actor: User, now: datetime | None = None) -> list[Sae]:
    """SAEs with a report past its deadline (home page and dashboard, in red)."""
    return [s for s in saes(actor, now) if s.overdue]
