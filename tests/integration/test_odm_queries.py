"""Data queries in the ODM export with audit (issue 14 item 6; P11-02): each message of a
thread is an Annotation with a Comment, in the FormData of its page at its visit or in the
SubjectData, where ODM 1.3.2 allows them; the file still validates; the cut-off holds."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from lxml import etree

from studyapp.audit.context import acting_as
from studyapp.db import site_today
from studyapp.demo.loader import load_demo
from studyapp.exports import registry, runner
from studyapp.exports.odm import layout
from studyapp.exports.odm.metadata import event_oid
from studyapp.extensions import db
from studyapp.monitoring.queries import services as queries
from studyapp.visits.models import Visit, VitalSigns
from tests.integration.test_casebook import first, subject
from tests.integration.test_demo import database_template  # noqa: F401 - the demo study

pytestmark = [pytest.mark.req("P11-02")]

SCHEMA = Path(__file__).resolve().parents[1] / "reference" / "odm-1.3.2" / "ODM1-3-2.xsd"
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}


@pytest.fixture
def demo(app):
    accounts = load_demo()
    db.session.expire_all()
    return {user.username: user for user in accounts}


def produce(actor, tmp_path, cutoff=None):
    out = tmp_path / f"odm_audit-{cutoff}.xml"
    with acting_as(actor):
        runner.produce("odm_audit", registry.ExportContext(actor=actor, cutoff=cutoff), out)
    document = etree.parse(str(out))
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    assert schema.validate(document), schema.error_log
    return document.getroot()


def _raise(demo):
    mon, inv = demo["mon.chen"], demo["inv.zhang"]
    one = subject()
    vitals = first(VitalSigns, VitalSigns.subject_id == one.id)
    visit = db.session.get(Visit, vitals.visit_id)
    with acting_as(mon):
        query = queries.raise_query(
            mon, one.id, "Weight differs", visitnum=visit.visitnum, form="VS", field="weight"
        )
        queries.raise_query(mon, one.id, "Consent time missing")
    with acting_as(inv):
        queries.reply(inv, query.id, "Source rechecked")
    return one, visit


def test_query_threads_are_annotations_where_odm_allows_them(app, demo, tmp_path):
    one, visit = _raise(demo)
    root = produce(demo["mon.chen"], tmp_path)
    data = root.find(f"odm:ClinicalData/odm:SubjectData[@SubjectKey='{one.label}']", NS)
    event = data.find(f"odm:StudyEventData[@StudyEventOID='{event_oid(visit.code)}']", NS)
    form = event.find(f"odm:FormData[@FormOID='{layout.form('VS').oid}']", NS)
    notes = form.findall("odm:Annotation", NS)
    assert [n.get("SeqNum") for n in notes] == ["1", "2"]
    comments = [n.find("odm:Comment", NS) for n in notes]
    weight = next(i.oid for g in layout.form("VS").groups for i in g.items if i.column == "weight")
    assert comments[0].get("SponsorOrSite") == "Sponsor"
    assert f"Query 1 on {weight} (answered): raise by Chen Jing at " in comments[0].text
    assert comments[0].text.endswith(": Weight differs")
    assert comments[1].get("SponsorOrSite") == "Site"
    assert "reply by Dr Zhang Wei" in comments[1].text
    assert etree.QName(form[len(notes)]).localname == "ItemGroupData"  # annotations first
    own = data.findall("odm:Annotation/odm:Comment", NS)
    assert [c.text.endswith("Consent time missing") for c in own] == [True]
    assert "on the subject (open)" in own[0].text


def test_queries_after_the_cutoff_are_not_annotated(app, demo, tmp_path):
    _raise(demo)
    root = produce(demo["mon.chen"], tmp_path, cutoff=site_today() - timedelta(days=1))
    texts = [c.text for c in root.iterfind(".//odm:Annotation/odm:Comment", NS)]
    assert not any("Weight differs" in t or "Consent time missing" in t for t in texts)
