"""The casebook shows each record's monitoring (issue 14 item 6; P11-02): the freeze or lock
covering it, its SDV marks (cleared ones said so) and the query threads of its page, as they
stood at the cut-off; read in a fixed number of statements per subject."""

from __future__ import annotations

from datetime import timedelta

import pytest

from studyapp.audit import set_reason
from studyapp.audit.context import acting_as
from studyapp.db import site_today, utcnow
from studyapp.demo.loader import load_demo
from studyapp.exports import catalogue
from studyapp.exports.casebook.labels import Labels
from studyapp.exports.casebook.monitoring import facts_of
from studyapp.extensions import db
from studyapp.monitoring.locks import services as locks
from studyapp.monitoring.queries import models as qm
from studyapp.monitoring.queries import services as queries
from studyapp.monitoring.sdv import services as sdv
from studyapp.visits.models import LabResult, Visit, VitalSigns
from tests.integration.test_casebook import first, flat, make, subject, text_of
from tests.integration.test_demo import database_template  # noqa: F401 - the demo study
from tests.statements import statements_of

pytestmark = [pytest.mark.req("P11-02")]


@pytest.fixture
def demo(app):
    """The demo study's accounts by username (the study itself: the database template)."""
    accounts = load_demo()
    db.session.expire_all()
    catalogue.load()
    return {user.username: user for user in accounts}


def _vitals():
    one = subject()
    vitals = first(VitalSigns, VitalSigns.subject_id == one.id)
    visit = db.session.get(Visit, vitals.visit_id)
    return one, vitals, visit


def _verify_then_clear(demo, vitals) -> None:
    """Pulse, weight and the platelet count verified; the weight's mark cleared by a change."""
    mon, inv = demo["mon.chen"], demo["inv.zhang"]
    plat = first(LabResult, LabResult.subject_id == vitals.subject_id, LabResult.testcd == "PLAT")
    with acting_as(mon):
        sdv.verify_field(mon, "VS", vitals.id, "pulse")
        sdv.verify_field(mon, "VS", vitals.id, "weight")
        sdv.verify_field(mon, "CBC", plat.panel_id, "orres", child_id=plat.id)
    with acting_as(inv):
        set_reason("Source says so")
        sdv.clear_changed(inv, vitals, frozenset({"weight"}))
        db.session.flush()


def test_a_record_shows_its_query_thread_marks_and_lock(app, demo, tmp_path):
    mon, inv, dm = demo["mon.chen"], demo["inv.zhang"], demo["dm.wang"]
    one, vitals, visit = _vitals()
    with acting_as(mon):
        query = queries.raise_query(
            mon,
            one.id,
            "Weight differs from source",
            visitnum=visit.visitnum,
            form="VS",
            field="weight",
        )
    with acting_as(inv):
        queries.reply(inv, query.id, "Source rechecked")
    _verify_then_clear(demo, vitals)
    with acting_as(dm):
        locks.set_lock(
            dm, "visit", "locked", subject_id=one.id, visitnum=visit.visitnum, reason="Interim lock"
        )
    labels = Labels()
    weight, pulse = labels.of("vital_signs", "weight"), labels.of("vital_signs", "pulse")
    text = flat(text_of(make(tmp_path, mon)[0]))
    assert f"Query on {weight}: answered" in text
    assert "Chen Jing: Weight differs from source" in text
    assert "Dr Zhang Wei: Source rechecked" in text
    assert f"SDV {pulse} verified by Chen Jing" in text
    assert f"SDV {weight} verified by Chen Jing" in text
    assert "cleared by a change (Dr Zhang Wei" in text
    result = labels.of("lab_result", "orres")
    assert f"SDV Platelets (PLAT): {result} verified by Chen Jing" in text  # a child row's
    assert "Locked (visit) by Wang Fang" in text
    assert "Interim lock" in text
    # the pulse mark is not cleared: its line ends before the next one starts
    pulse_line = text.split(f"SDV {pulse} verified by Chen Jing", 1)[1].split("SDV", 1)[0]
    assert "cleared" not in pulse_line


def _early_query(mon, subject_id, visitnum, days):
    """A query raised *days* ago (written directly: the services stamp the current time)."""
    at = utcnow() - timedelta(days=days)
    with acting_as(mon):
        query = qm.DataQuery(
            subject_id=subject_id,
            visitnum=visitnum,
            form="VS",
            field="pulse",
            state=qm.OPEN,
            raised_by_id=mon.id,
            raised_at=at,
        )
        db.session.add(query)
        db.session.flush()
        db.session.add(
            qm.QueryMessage(
                query_id=query.id, author_id=mon.id, at=at, kind=qm.RAISE, text="Early one"
            )
        )
        db.session.flush()
    return query


def test_the_cutoff_leaves_out_later_queries_messages_and_locks(app, demo, tmp_path):
    mon, inv, dm = demo["mon.chen"], demo["inv.zhang"], demo["dm.wang"]
    one, _vitals_row, visit = _vitals()
    early = _early_query(mon, one.id, visit.visitnum, days=3)
    with acting_as(inv):
        queries.reply(inv, early.id, "Late reply")
    with acting_as(mon):
        queries.raise_query(mon, one.id, "Late question", visitnum=visit.visitnum, form="VS")
    with acting_as(dm):
        locks.set_lock(dm, "subject", "frozen", subject_id=one.id, reason="Late freeze")
    pulse = Labels().of("vital_signs", "pulse")
    cutoff = site_today() - timedelta(days=1)
    text = flat(text_of(make(tmp_path, mon, cutoff=cutoff)[0]))
    assert f"Query on {pulse}: open" in text  # its state then: the reply came later
    assert "Early one" in text
    assert "Late reply" not in text
    assert "Late question" not in text
    assert "Late freeze" not in text
    now = flat(text_of(make(tmp_path, mon)[0]))
    assert f"Query on {pulse}: answered" in now
    assert "Late question" in now
    assert "Frozen (subject) by Wang Fang" in now
    assert "Late freeze" in now


def _statements(subject_id: int) -> int:
    db.session.expire_all()
    return statements_of(lambda: facts_of(subject_id))


def test_the_facts_are_read_in_a_fixed_number_of_statements(app, demo):
    mon = demo["mon.chen"]
    one, vitals, visit = _vitals()
    with acting_as(mon):
        queries.raise_query(mon, one.id, "One", visitnum=visit.visitnum, form="VS")
        sdv.verify_field(mon, "VS", vitals.id, "pulse")
    few = _statements(one.id)
    with acting_as(mon):
        for n in range(4):
            queries.raise_query(mon, one.id, f"More {n}", visitnum=visit.visitnum, form="VS")
        sdv.verify_field(mon, "VS", vitals.id, "weight")
        sdv.verify_field(mon, "VS", vitals.id, "height")
    assert _statements(one.id) == few
    facts = facts_of(one.id)
    assert len(facts.queries) == 5
    assert {m.field for m in facts.marks} >= {"pulse", "weight", "height"}


def test_the_chinese_casebook_says_it_in_chinese(app, demo, tmp_path):
    mon, dm = demo["mon.chen"], demo["dm.wang"]
    one, _vitals_row, visit = _vitals()
    with acting_as(mon):
        queries.raise_query(mon, one.id, "Check it", visitnum=visit.visitnum, form="VS")
    with acting_as(dm):
        locks.set_lock(dm, "visit", "locked", subject_id=one.id, visitnum=visit.visitnum)
    pdf, _result = make(tmp_path, mon, locale="zh_Hans")
    text = "".join(text_of(pdf).split())  # Chinese lines break anywhere
    assert "整个表单的质疑：待定" in text
    assert "已锁定（访视），设置人WangFang" in text
    assert "Locked(visit)" not in text
