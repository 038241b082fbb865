"""The CDISC ODM 1.3.2 exports (``odm``, ``odm_audit``): every file validates against the
official schema (tests/reference/odm-1.3.2, vendored), reads back with an independent library
(odmlib) with the database's values, honours the data cut-off, carries the audit trail and
signatures in UTC, is audited as an export, and is refused to a coordinator."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import odmlib.loader as odm_loader
import odmlib.odm_loader as odm_xml
import pytest
from lxml import etree
from sqlalchemy import select

from studyapp.audit import set_reason
from studyapp.audit.models import AuditLog
from studyapp.db import freeze_clock, site_today, utcnow
from studyapp.demo.loader import load_demo
from studyapp.exports import registry, runner
from studyapp.exports.odm import layout
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.safety.models import AdverseEvent
from studyapp.signatures.models import Signature
from studyapp.subjects.models import Subject
from studyapp.visits.models import DoseAdministration, LabPanel, LabResult, Visit, VitalSigns
from tests.conftest import TemplateSpec

pytestmark = pytest.mark.req("P11-02", "P11-13", "GCP-06")

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "reference" / "odm-1.3.2"
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}
KINDS = ("odm", "odm_audit")


@pytest.fixture(scope="module")
def schema():
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "ODM1-3-2.xsd")))


@pytest.fixture
def database_template(site_clock):
    """The demo study (the same template as test_demo.py: built once per engine and day)."""
    return TemplateSpec(f"demo-{site_today().isoformat()}", lambda app: load_demo())


@pytest.fixture
def demo(app):
    accounts = load_demo()  # on the copy: adds nothing, answers the accounts
    db.session.expire_all()
    return {user.role: user for user in accounts}


def produce(actor, kind, tmp_path, cutoff=None):
    out = tmp_path / f"{kind}-{cutoff}.xml"
    ctx = registry.ExportContext(actor=actor, cutoff=cutoff)
    result = runner.produce(kind, ctx, out)
    return out, result


def read_back(path):
    """The file through odmlib's ODM 1.3.2 model and loader."""
    loader = odm_loader.ODMLoader(odm_xml.XMLODMLoader(model_package="odm_1_3_2"))
    loader.open_odm_document(str(path))
    return loader.root()


def values(odm):
    """(subject, event, event repeat, item group, group repeat, item) -> Value of odmlib's
    object tree; the last ItemData of an item wins (the audit file lists its history)."""
    found = {}
    for subject in odm.ClinicalData[0].SubjectData:
        for event in subject.StudyEventData:
            for form in event.FormData:
                for group in form.ItemGroupData:
                    for item in group.ItemData:
                        key = (
                            subject.SubjectKey,
                            event.StudyEventOID,
                            event.StudyEventRepeatKey,
                            group.ItemGroupOID,
                            group.ItemGroupRepeatKey,
                            item.ItemOID,
                        )
                        found[key] = item.Value
    return found


def owner_of(model):
    """The form whose FormData carries *model*'s rows, and its group for that model."""
    for form in layout.collected():
        for group in form.groups:
            if group.model is model:
                return form, group
    raise AssertionError(model)


def key_of(subject, visit, group, row_key, column):
    item = next(i for i in group.items if i.column == column)
    unscheduled = {v.code for v in get_protocol().visits if v.unscheduled}
    repeat = visit.visitnum if visit is not None and visit.code in unscheduled else None
    event = f"SE.{visit.code}" if visit is not None else f"SE.{layout.LOG_EVENT}"
    return (subject.label, event, repeat, group.oid, row_key, item.oid)


def expected(model, column, key=None):
    """(key, database value) of every live row of *model* with a value in *column*."""
    _form, group = owner_of(model)
    out = {}
    for row in db.session.scalars(select(model).where(model.deleted_at.is_(None))):
        if getattr(row, column) is None:
            continue
        subject = db.session.get(Subject, row.subject_id)
        visit_id = getattr(row, "visit_id", None)
        visit = db.session.get(Visit, visit_id) if visit_id else None
        out[key_of(subject, visit, group, key(row) if key else None, column)] = getattr(row, column)
    return out


def same(value, stored):
    if isinstance(stored, Decimal | int) and not isinstance(stored, bool):
        return Decimal(value) == Decimal(stored)
    return value == str(stored)


# --- the schema --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_the_demo_study_export_validates_against_the_official_schema(demo, schema, tmp_path, kind):
    path, result = produce(demo["data_manager"], kind, tmp_path)
    document = etree.parse(str(path))
    assert schema.validate(document), schema.error_log
    root = document.getroot()
    assert root.get("ODMVersion") == "1.3.2"
    assert root.get("FileType") == ("Transactional" if kind == "odm_audit" else "Snapshot")
    subjects = root.findall("odm:ClinicalData/odm:SubjectData", NS)
    assert len(subjects) == result.rows["SubjectData"] == 8
    items = root.findall(".//odm:ItemData", NS)
    assert len(items) == result.rows["ItemData"] > 500


def test_the_schema_is_not_a_rubber_stamp(demo, schema, tmp_path):
    """The vendored schema rejects a broken file: an AuditRecord's EditPoint that ODM lacks,
    and an ItemData without its ItemOID."""
    path, _result = produce(demo["data_manager"], "odm_audit", tmp_path)
    document = etree.parse(str(path))
    document.find(".//odm:AuditRecord", NS).set("EditPoint", "DataEntry")
    assert not schema.validate(document)
    document = etree.parse(str(path))
    del document.find(".//odm:ItemData", NS).attrib["ItemOID"]
    assert not schema.validate(document)
