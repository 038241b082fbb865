"""Monitoring in the demo study: data queries, source data verification, a signed casebook
and a frozen visit, each done through the monitoring services by the demo user whose job it is.

The monitor (``mon.chen``) verifies the first visits of the run-in subjects against the source
and queries a pulse of ITP-002 that differs from the source; the investigator corrects it, which
answers the query and clears that field's verification; the monitor closes the query. A query
on a bleeding grade of ITP-003 is answered in words and closed; one on the blood count of ITP-004
is answered by the coordinator and waits for the monitor; the data manager's latest query on
ITP-005 is open. The data manager freezes ITP-001's Day 1 visit, and the investigator signs
ITP-001's casebook once its follow-up is over. Keys are those of ``demo.ENROLMENT_ORDER``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, time

from flask import current_app
from sqlalchemy import func, select

from studyapp.audit import acting_as
from studyapp.auth.models import User
from studyapp.crf.status import FROZEN, VISIT
from studyapp.demo.visits import Step
from studyapp.extensions import db
from studyapp.monitoring import signoff
from studyapp.monitoring.locks import services as locks
from studyapp.monitoring.locks.models import DataLock
from studyapp.monitoring.queries import models as qm
from studyapp.monitoring.queries import services as queries
from studyapp.monitoring.sdv import services as sdv
from studyapp.monitoring.sdv.models import SdvMark
from studyapp.protocol.loader import get_protocol
from studyapp.signatures.models import Signature
from studyapp.subjects.models import Subject
from studyapp.visits.schedule import service as schedule
from studyapp.visits.vitals import service as vitals

#: Monitoring work is done in the afternoon, after the day's visits.
AFTERNOON = time(14, 0)
#: The source value of the pulse of ITP-002 on Day 1 that the CRF had wrong.
SOURCE_PULSE = 84
PULSE_QUERY = "Source vital signs sheet: pulse 84/min at 09:00; the CRF shows 72. Please check."
CORRECTION = "Transcription error: the source vital signs sheet reads 84/min."
BLEED_Q = (
    "Epistaxis with nasal packing on Day 22: please confirm the WHO grade against the "
    "nursing record."
)
BLEED_REPLY = "Confirmed from the nursing record: WHO grade 2, no transfusion at this visit."
CBC_QUERY = "WBC 2.9 and neutrophils 0.8 x10^9/L: please confirm against the laboratory report."
CBC_REPLY = "Values confirmed against the laboratory report; copy filed in the subject folder."
TEMP_QUERY = "Temperature after the first infusion: please enter it if it was taken."
FREEZE_REASON = "Source data verified; frozen ahead of the run-in safety review."

Users = Mapping[str, User]


def visitnum(code: str) -> str:
    """The VISITNUM text of a visit code of the protocol (D1 -> "1")."""
    return schedule.visitnum_text(get_protocol().visit(code).visitnum)


@dataclass
class _Queries:
    """Raises and answers the demo queries; a query is named by a key until it has an id."""

    subject: Callable[[str], Subject]
    raised: dict[str, int] = field(default_factory=dict)

    def ask(
        self, key: str, actor: User, who: str, code: str, form: str, name: str | None, text: str
    ) -> Callable[[], None]:
        def run() -> None:
            with acting_as(actor):
                query = queries.raise_query(
                    actor,
                    self.subject(who).id,
                    text,
                    visitnum=visitnum(code),
                    form=form,
                    field=name,
                )
            self.raised[key] = query.id

        return run

    def answer(self, key: str, actor: User, text: str, close: bool = False) -> Callable[[], None]:
        def run() -> None:
            with acting_as(actor):
                (queries.close if close else queries.reply)(actor, self.raised[key], text)

        return run


def steps(users: Users, subject: Callable[[str], Subject], on: Callable[[int], date]) -> list[Step]:
    """The monitoring steps, each on its day (relative to today) and site time."""
    q = _Queries(subject)
    mon, dm, inv, crc = (users[n] for n in ("mon.chen", "dm.wang", "inv.zhang", "crc.li"))

    def step(offset: int, at: time, action: Callable[[], None]) -> Step:
        return Step(on(offset), action, at)

    return [
        step(-98, AFTERNOON, lambda: _verify(mon, subject("first"), ("D1", "D8", "D15"))),
        step(-98, time(15, 0), lambda: _verify(mon, subject("second"), ("D1",))),
        step(-98, time(15, 30), q.ask("pulse", mon, "second", "D1", "VS", "pulse", PULSE_QUERY)),
        step(-97, time(11, 0), lambda: _correct_pulse(inv, subject("second"))),
        step(-96, time(11, 0), lambda: _freeze(dm, subject("first"), "D1")),
        step(-90, AFTERNOON, q.answer("pulse", mon, "Corrected as in the source.", close=True)),
        step(-60, AFTERNOON, lambda: _verify(mon, subject("third"), ("D1", "D8", "D22"))),
        step(-60, time(15, 0), q.ask("bleed", mon, "third", "D22", "BLEED", "who_grade", BLEED_Q)),
        step(-59, time(11, 0), q.answer("bleed", inv, BLEED_REPLY)),
        step(-57, AFTERNOON, q.answer("bleed", mon, "Grade confirmed.", close=True)),
        step(-12, AFTERNOON, lambda: _verify(mon, subject("fourth"), ("D1",))),
        step(-12, time(15, 0), q.ask("cbc", mon, "fourth", "D15", "CBC", None, CBC_QUERY)),
        step(-11, time(11, 0), q.answer("cbc", crc, CBC_REPLY)),
        step(-6, AFTERNOON, lambda: _verify(mon, subject("first"), ("D22", "D29", "EOT"))),
        step(-5, time(16, 0), lambda: _sign(inv, subject("first"))),
        step(-2, time(11, 0), q.ask("temp", dm, "fifth", "D1", "VS", "temp", TEMP_QUERY)),
    ]


def _verify(mon: User, subject: Subject, codes: tuple[str, ...]) -> None:
    """The monitor verifies every complete form of the subject's visits *codes*."""
    with acting_as(mon):
        for code in codes:
            visit = signoff.find_visit(subject.id, visitnum(code))
            sdv.verify_visit(mon, visit.id)


def _correct_pulse(inv: User, subject: Subject) -> None:
    """The investigator corrects the queried pulse: the query is answered by the change and
    the pulse's verification is cleared."""
    num = visitnum("D1")
    visit = signoff.find_visit(subject.id, num)
    record = vitals.for_visit(visit)
    assert record is not None  # noqa: S101 - entered on Day 1
    names = ("weight", "height", "sysbp", "diabp", "temp")
    values = {n: getattr(record, n) for n in names if getattr(record, n) is not None}
    values["pulse"] = SOURCE_PULSE
    entry = vitals.VitalsEntry(record.vs_date, record.vs_time, values)
    with acting_as(inv):
        vitals.save(
            inv,
            subject.id,
            num,
            entry,
            visit_date=visit.visit_date,
            version=record.version,
            reason=CORRECTION,
        )


def _freeze(dm: User, subject: Subject, code: str) -> None:
    with acting_as(dm):
        locks.set_lock(
            dm, VISIT, FROZEN, subject_id=subject.id, visitnum=visitnum(code), reason=FREEZE_REASON
        )


def _sign(inv: User, subject: Subject) -> None:
    with acting_as(inv):
        signoff.sign_casebook(inv, subject.id, inv.username, current_app.config["DEMO_PASSWORD"])


def summary() -> str:
    """One line on the demo's monitoring, for the console."""
    states = dict(
        db.session.execute(
            select(qm.DataQuery.state, func.count()).group_by(qm.DataQuery.state)
        ).all()
    )
    marks = select(func.count()).select_from(SdvMark)
    verified = db.session.scalar(marks.where(SdvMark.cleared_at.is_(None)))
    cleared = db.session.scalar(marks.where(SdvMark.cleared_at.is_not(None)))
    signed = db.session.scalar(
        select(func.count())
        .select_from(Signature)
        .where(Signature.meaning == signoff.CASEBOOK_MEANING, Signature.status == "valid")
    )
    frozen = db.session.scalar(
        select(func.count())
        .select_from(DataLock)
        .where(DataLock.state == FROZEN, DataLock.released_at.is_(None))
    )
    return (
        f"Monitoring: {sum(states.values())} queries ({states.get(qm.OPEN, 0)} open, "
        f"{states.get(qm.ANSWERED, 0)} answered, {states.get(qm.CLOSED, 0)} closed), "
        f"{verified} fields source-verified ({cleared} cleared by a correction), "
        f"{signed} signed casebook, {frozen} frozen visit."
    )
