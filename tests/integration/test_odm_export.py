"""The CDISC ODM 1.3.2 exports (``odm``, ``odm_audit``): every file validates against the
official schema (tests/reference/odm-1.3.2, vendored), reads back with an independent library
(odmlib) with the database's values, honours the data cut-off, carries the audit trail and
signatures in UTC, is audited as an export, and is refused to a coordinator."""

from __future__ import annotations

import gc
import json
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import odmlib.loader as odm_loader
import odmlib.odm_loader as odm_xml
import pytest
from lxml import etree
from sqlalchemy import select

from studyapp.audit import acting_as, set_reason
from studyapp.audit.models import AuditLog
from studyapp.db import freeze_clock, site_today, utcnow
from studyapp.demo.loader import load_demo
from studyapp.exports import registry, runner
from studyapp.exports.odm import layout
from studyapp.exports.odm import values as values_module
from studyapp.exports.odm import writer as odm_writer
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.safety.models import AdverseEvent
from studyapp.signatures.models import Signature
from studyapp.subjects.models import EligibilityAnswer, MedicalHistory, PriorTherapy, Subject
from studyapp.visits.models import DoseAdministration, LabPanel, LabResult, Visit, VitalSigns
from tests.integration.test_demo import database_template  # noqa: F401 - the demo study, one template

pytestmark = pytest.mark.req("P11-02", "P11-13", "GCP-06")

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "reference" / "odm-1.3.2"
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}
KINDS = ("odm", "odm_audit")


@pytest.fixture(scope="module")
def schema():
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "ODM1-3-2.xsd")))


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


def group_of(model, code=None, column=None):
    """The item group of *model* (in form *code*, holding *column*, if given) in the form
    carrying its rows."""
    for form in layout.collected():
        for group in form.groups:
            has = column is None or any(i.column == column for i in group.items)
            if group.model is model and code in (None, form.code) and has:
                return group
    raise AssertionError(model)


def key_of(subject, visit, group, row_key, column):
    item = next(i for i in group.items if i.column == column)
    unscheduled = {v.code for v in get_protocol().visits if v.unscheduled}
    repeat = visit.visitnum if visit is not None and visit.code in unscheduled else None
    home = layout.home(layout.form(group.code))
    event = visit.code if visit is not None else home or layout.LOG_EVENT
    return (subject.label, f"SE.{event}", repeat, group.oid, row_key, item.oid)


def expected(model, column, key=None, where=(), code=None):
    """(key, database value) of every live row of *model* with a value in *column*."""
    out = {}
    query = select(model).where(model.deleted_at.is_(None), *where)
    for row in db.session.scalars(query):
        if getattr(row, column) is None:
            continue
        group = group_of(model, code(row) if code else None, column)
        subject = db.session.get(Subject, getattr(row, "subject_id", row.id))
        visit_id = getattr(row, "visit_id", None)
        visit = db.session.get(Visit, visit_id) if visit_id else None
        out[key_of(subject, visit, group, key(row) if key else None, column)] = getattr(row, column)
    return out


def same(value, stored):
    if isinstance(stored, bool):
        return value == str(stored).lower()
    if isinstance(stored, Decimal | int):
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


# --- read back by odmlib --------------------------------------------------------------------


def platelet_results():
    """The platelet counts (the response test) with their lab form."""
    test = get_protocol().response.platelet_test
    return expected(
        LabResult,
        "orres",
        key=lambda r: r.testcd,
        where=(LabResult.testcd == test,),
        code=lambda r: db.session.get(LabPanel, r.panel_id).form,
    )


def database_values():
    """A weight, a platelet count, a dose, an AE term and grade: every one on record."""
    return {
        "weight": expected(VitalSigns, "weight"),
        "platelets": platelet_results(),
        "dose": expected(DoseAdministration, "given_dose", key=lambda r: str(r.part)),
        "AE term": expected(AdverseEvent, "aeterm", key=lambda r: str(r.aespid)),
        "AE grade": expected(AdverseEvent, "grade", key=lambda r: str(r.aespid)),
        "sex": expected(Subject, "sex"),
        "age": expected(Subject, "age_years"),
        "consent": expected(Subject, "consent_date"),
        "screening platelets": expected(Subject, "platelet_count"),
        "eligibility": expected(EligibilityAnswer, "answer", key=lambda r: r.code),
        "prior therapy": expected(PriorTherapy, "name", key=lambda r: str(r.id)),
        "history": expected(MedicalHistory, "term", key=lambda r: str(r.id)),
        "screen failure": expected(Subject, "screen_failed_criteria"),
    }


@pytest.mark.parametrize("kind", KINDS)
def test_odmlib_reads_back_the_database_values(demo, tmp_path, kind):
    path, _result = produce(demo["monitor"], kind, tmp_path)
    odm = read_back(path)
    got = values(odm)
    for name, wanted in database_values().items():
        assert len(wanted) >= 2, name
        for key, stored in wanted.items():
            assert key in got, (name, key)
            assert same(got[key], stored), (name, key, got[key], stored)
    clinical = odm.ClinicalData[0]
    labels = {s.label for s in db.session.scalars(select(Subject))}
    assert {s.SubjectKey for s in clinical.SubjectData} == labels
    defined = {e.OID for e in odm.Study[0].MetaDataVersion[0].StudyEventDef}
    assert defined == {f"SE.{v.code}" for v in get_protocol().visits} | {"SE.LOG"}
    events = {
        (s.SubjectKey, e.StudyEventOID) for s in clinical.SubjectData for e in s.StudyEventData
    }
    for signs in db.session.scalars(select(VitalSigns)):
        visit = db.session.get(Visit, signs.visit_id)
        assert (db.session.get(Subject, signs.subject_id).label, f"SE.{visit.code}") in events


def test_values_keep_their_units_and_codelists_decode_in_english_and_chinese(demo, tmp_path):
    path, _result = produce(demo["monitor"], "odm", tmp_path)
    root = etree.parse(str(path)).getroot()
    weight = root.find(".//odm:ItemData[@ItemOID='IT.VITAL_SIGNS.WEIGHT']", NS)
    unit = weight.find("odm:MeasurementUnitRef", NS).get("MeasurementUnitOID")
    symbol = root.find(f".//odm:MeasurementUnit[@OID='{unit}']", NS).get("Name")
    vital = next(v for v in get_protocol().vital_signs if v.code == "WEIGHT")
    assert symbol == vital.unit
    definition = root.find(".//odm:ItemDef[@OID='IT.VITAL_SIGNS.WEIGHT']", NS)
    checks = {(c.get("SoftHard"), c.get("Comparator")): c.findtext("odm:CheckValue", namespaces=NS)
              for c in definition.findall("odm:RangeCheck", NS)}  # fmt: skip
    assert Decimal(checks[("Hard", "GE")]) == vital.limits.hard_low
    assert Decimal(checks[("Soft", "LE")]) == vital.limits.plausible_high
    outcome = root.find(".//odm:CodeList[@OID='CL.AE_OUTCOME']", NS)
    decode = outcome.find("odm:CodeListItem[@CodedValue='RECOVERED/RESOLVED']/odm:Decode", NS)
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    texts = {t.get(lang): t.text for t in decode.findall("odm:TranslatedText", NS)}
    assert texts == {"en": "recovered", "zh": "已恢复"}
    lab = root.find(".//odm:ItemDef[@OID='IT.LAB_RESULT.TESTCD']/odm:CodeListRef", NS)
    tests = root.find(f".//odm:CodeList[@OID='{lab.get('CodeListOID')}']", NS)
    codes = [i.get("CodedValue") for i in tests.findall("odm:CodeListItem", NS)]
    assert codes == [t.testcd for t in get_protocol().labs]
    forms = {f.get("OID") for f in root.iter("{{{}}}FormDef".format(NS["odm"]))}
    assert forms == {f"F.{code}" for v in get_protocol().visits for code in v.forms}


# --- the cut-off ---------------------------------------------------------------------------


def platelet_rows():
    test = get_protocol().response.platelet_test
    return list(db.session.scalars(select(LabResult).where(LabResult.testcd == test)))


def result_key(result):
    panel = db.session.get(LabPanel, result.panel_id)
    visit = db.session.get(Visit, result.visit_id)
    subject = db.session.get(Subject, result.subject_id)
    return key_of(subject, visit, group_of(LabResult, panel.form), result.testcd, "orres"), panel


def test_a_lab_value_sampled_after_the_cutoff_is_left_out(demo, tmp_path):
    rows = platelet_rows()
    cutoff = max(db.session.get(LabPanel, r.panel_id).lb_date for r in rows) - timedelta(days=1)
    path, _result = produce(demo["data_manager"], "odm", tmp_path, cutoff=cutoff)
    got = values(read_back(path))
    seen = set()
    for result in rows:
        key, panel = result_key(result)
        late = panel.lb_date > cutoff
        seen.add(late)
        assert (key in got) is not late, key
        if not late:
            assert same(got[key], result.orres)
    assert seen == {True, False}


def test_an_adverse_event_starting_after_the_cutoff_is_left_out(demo, tmp_path):
    events = [a for a in db.session.scalars(select(AdverseEvent)) if a.start_date]
    cutoff = max(values_module.earliest(a.start_date) for a in events) - timedelta(days=1)
    path, _result = produce(demo["data_manager"], "odm", tmp_path, cutoff=cutoff)
    got = values(read_back(path))
    group = group_of(AdverseEvent)
    seen = set()
    for ae in events:
        key = key_of(db.session.get(Subject, ae.subject_id), None, group, str(ae.aespid), "aeterm")
        late = values_module.earliest(ae.start_date) > cutoff
        seen.add(late)
        assert (key in got) is not late, key
    assert seen == {True, False}


# --- audit records and signatures --------------------------------------------------------


def item_history(root, subject, event, group_oid, item_oid):
    path = (
        f"odm:ClinicalData/odm:SubjectData[@SubjectKey='{subject}']"
        f"/odm:StudyEventData[@StudyEventOID='{event}']/odm:FormData"
        f"/odm:ItemGroupData[@ItemGroupOID='{group_oid}']/odm:ItemData[@ItemOID='{item_oid}']"
    )
    return root.findall(path, NS)


def test_an_edited_value_carries_its_history_reason_and_utc_time(demo, tmp_path):
    signs = db.session.scalars(select(VitalSigns).where(VitalSigns.weight.is_not(None))).first()
    old = signs.weight
    moment = utcnow().replace(microsecond=0) + timedelta(minutes=5)
    freeze_clock(moment)
    with acting_as(demo["investigator"]):
        set_reason("Transcription error: weight re-read from the source")
        signs.weight = old + Decimal("1.5")
        db.session.flush()
    path, _result = produce(demo["monitor"], "odm_audit", tmp_path)
    root = etree.parse(str(path)).getroot()
    subject = db.session.get(Subject, signs.subject_id).label
    visit = db.session.get(Visit, signs.visit_id)
    group = group_of(VitalSigns)
    item = next(i for i in group.items if i.column == "weight")
    history = item_history(root, subject, f"SE.{visit.code}", group.oid, item.oid)
    assert [h.get("TransactionType") for h in history] == ["Insert", "Update"]
    assert [Decimal(h.get("Value")) for h in history] == [old, old + Decimal("1.5")]
    record = history[-1].find("odm:AuditRecord", NS)
    assert record.findtext("odm:ReasonForChange", namespaces=NS) == (
        "Transcription error: weight re-read from the source"
    )
    stamp = record.findtext("odm:DateTimeStamp", namespaces=NS)
    assert stamp.endswith("Z")
    assert datetime.fromisoformat(stamp) == moment
    user = record.find("odm:UserRef", NS).get("UserOID")
    login = root.find(f"odm:AdminData/odm:User[@OID='{user}']/odm:LoginName", NS).text
    assert login == demo["investigator"].username
    seq = record.findtext("odm:SourceID", namespaces=NS).split("=")[1]
    row = db.session.scalar(select(AuditLog).where(AuditLog.seq == int(seq)))
    assert (row.table_name, row.field, row.new_value) == (
        "vital_signs",
        "weight",
        str(signs.weight),
    )
    stamps = [t.text for t in root.iter(f"{{{NS['odm']}}}DateTimeStamp")]
    assert len(stamps) > 100
    assert all(t.endswith("Z") for t in stamps)


def test_signatures_name_signer_meaning_and_utc_time(demo, tmp_path):
    path, result = produce(demo["monitor"], "odm_audit", tmp_path)
    root = etree.parse(str(path)).getroot()
    signatures = {s.get("ID"): s for s in root.iter(f"{{{NS['odm']}}}Signature")}
    stored = list(db.session.scalars(select(Signature)))
    assert len(stored) >= 6
    assert set(signatures) == {f"SG.{s.id}" for s in stored}
    assert result.rows["Signature"] == len(stored)
    for signature in stored:
        node = signatures[f"SG.{signature.id}"]
        ref = node.find("odm:SignatureRef", NS).get("SignatureOID")
        definition = root.find(f"odm:AdminData/odm:SignatureDef[@OID='{ref}']", NS)
        assert definition.get("Methodology") == "Electronic"
        assert definition.findtext("odm:Meaning", namespaces=NS) == signature.meaning
        user = node.find("odm:UserRef", NS).get("UserOID")
        name = root.findtext(f"odm:AdminData/odm:User[@OID='{user}']/odm:FullName", namespaces=NS)
        assert name == signature.printed_name
        stamp = node.findtext("odm:DateTimeStamp", namespaces=NS)
        assert stamp.endswith("Z")
        assert abs(datetime.fromisoformat(stamp) - signature.signed_at) < timedelta(milliseconds=1)
    eligibility = next(s for s in stored if s.table_name == "subject")
    subject = db.session.get(Subject, eligibility.subject_id).label
    inline = root.find(f".//odm:SubjectData[@SubjectKey='{subject}']/odm:Signature", NS)
    assert inline is not None


def test_progress_is_told_per_subject(demo, tmp_path):
    calls = []
    ctx = registry.ExportContext(actor=demo["monitor"], progress=lambda d, t: calls.append((d, t)))
    runner.produce("odm", ctx, tmp_path / "odm.xml")
    assert calls == [(n, 8) for n in range(9)]


# --- the command line and permissions ----------------------------------------------------


@pytest.mark.parametrize(("flags", "kind"), [((), "odm"), (("--audit",), "odm_audit")])
def test_the_command_writes_the_file_and_an_export_audit_row(app, demo, schema, tmp_path, flags,
                                                             kind):  # fmt: skip
    out = tmp_path / "study.xml"
    cutoff = site_today() - timedelta(days=10)
    args = ["export", "odm", *flags, "--out", str(out), "--as", demo["data_manager"].username,
            "--cutoff", cutoff.isoformat()]  # fmt: skip
    answer = app.test_cli_runner().invoke(args=args)
    assert answer.exit_code == 0, answer.output
    assert schema.validate(etree.parse(str(out))), schema.error_log
    db.session.rollback()
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "export"))
    details = json.loads(row.new_value)
    assert (row.username, row.row_id) == (demo["data_manager"].username, kind)
    assert details["cutoff"] == cutoff.isoformat()
    assert details["sha256"] in answer.output
    root = etree.parse(str(out)).getroot()
    assert details["rows"]["SubjectData"] == len(root.findall(".//odm:SubjectData", NS))
    assert details["rows"]["ItemData"] == len(root.findall(".//odm:ItemData", NS)) > 0


def test_audit_applies_to_odm_only(app, demo, tmp_path):
    args = ["export", "csv", "--audit", "--out", str(tmp_path / "x"), "--as", "dm.wang"]
    answer = app.test_cli_runner().invoke(args=args)
    assert answer.exit_code != 0
    assert "--audit applies to odm" in answer.output


@pytest.mark.parametrize("kind", KINDS)
def test_a_coordinator_is_refused(app, demo, client, auth, tmp_path, kind):
    coordinator = demo["coordinator"]
    out = tmp_path / "refused.xml"
    flags = ["--audit"] if kind == "odm_audit" else []
    args = ["export", "odm", *flags, "--out", str(out), "--as", coordinator.username]
    answer = app.test_cli_runner().invoke(args=args)
    assert answer.exit_code == 1
    assert "refused" in answer.output
    assert not out.exists()
    db.session.rollback()
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "export")) is None


# --- an empty study ------------------------------------------------------------------------


@pytest.mark.parametrize("database_template", [None])
@pytest.mark.parametrize("kind", KINDS)
def test_an_empty_study_exports_valid_metadata_and_no_subjects(app, users, schema, tmp_path, kind):
    path, result = produce(users["data_manager"], kind, tmp_path)
    assert schema.validate(etree.parse(str(path))), schema.error_log
    odm = read_back(path)
    assert odm.ClinicalData[0].SubjectData == []
    mdv = odm.Study[0].MetaDataVersion[0]
    assert len(mdv.StudyEventDef) == len(get_protocol().visits) + 1
    assert {f.OID for f in mdv.FormDef} == {
        f"F.{code}" for v in get_protocol().visits for code in v.forms
    }
    units = {u.Name for u in odm.Study[0].BasicDefinitions.MeasurementUnit}
    assert {t.si_unit for t in get_protocol().labs} <= units
    assert result.rows["SubjectData"] == result.rows["ItemData"] == 0


def test_a_monitor_makes_the_odm_file_on_the_page_and_downloads_it(demo, users, client, auth,
                                                                  schema):  # fmt: skip
    auth.login("mon.user")
    page = client.get("/reports/").get_data(as_text=True)
    assert 'value="odm"' in page
    assert 'value="odm_audit"' in page
    asked = auth.post("/reports/", {"kind": "odm"}, page="/reports/")
    assert asked.status_code == 302
    html = client.get(asked.headers["Location"]).get_data(as_text=True)
    link = html.split('data-testid="download"')[0].rsplit('href="', 1)[1].split('"')[0]
    got = client.get(link)
    assert got.status_code == 200
    assert got.mimetype == "application/xml"
    assert schema.validate(etree.fromstring(got.data).getroottree()), schema.error_log
    got.close()


def test_a_disposition_after_the_cutoff_is_left_out_and_before_it_is_in_the_log(demo, tmp_path):
    subject = db.session.scalars(select(Subject).where(Subject.subject_number.is_not(None))).first()
    with acting_as(demo["investigator"]):
        subject.disposition = "WITHDRAWAL BY SUBJECT"
        subject.disposition_date = site_today()
        db.session.flush()
    key = key_of(subject, None, group_of(Subject, column="disposition"), None, "disposition")
    assert key[1] == f"SE.{layout.LOG_EVENT}"
    path, _result = produce(demo["monitor"], "odm", tmp_path)
    assert values(read_back(path))[key] == "WITHDRAWAL BY SUBJECT"
    path, _result = produce(demo["monitor"], "odm", tmp_path, cutoff=site_today() - timedelta(1))
    assert key not in values(read_back(path))


@pytest.mark.postgresql_only  # streamed reads: server-side cursors on PostgreSQL
def test_memory_stays_flat_as_subjects_are_added(demo, tmp_path, monkeypatch):
    """Streaming: writing the demo's subjects 8 times over takes about the memory of
    writing them once (the file grows 8 times). The audit file streams the same way."""
    ids = [s.id for s in db.session.scalars(select(Subject).order_by(Subject.id))]

    def peak(times):
        monkeypatch.setattr(odm_writer, "_subject_ids", lambda _ctx: ids * times)
        out = tmp_path / f"{times}.xml"
        gc.collect()
        tracemalloc.start()
        with out.open("wb") as handle:
            odm_writer.write(registry.ExportContext(actor=demo["monitor"]), handle)
        _size, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top, out.stat().st_size

    (small, small_file), (large, large_file) = peak(1), peak(8)
    assert large_file > 7 * small_file
    assert large < 1.5 * small, (small, large)  # seen: 2.45 MB once, 1.67 MB 8 times over


# --- value rules (pure) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("2024-05-14", "2024-05-14"),
        ("2024-05", "2024-05-01"),
        ("2024", "2024-01-01"),
        ("2023---14", "2023-01-01"),  # month unknown: the day is dropped, the year rule holds
        ("garbage", None),
    ],
)
def test_a_partial_date_counts_from_its_earliest_day(text, first):
    found = values_module.earliest(text)
    assert (found.isoformat() if found else None) == first


def test_values_are_written_as_odm_reads_them():
    assert values_module.decimal_text(Decimal("150.0000")) == "150"
    assert values_module.decimal_text(Decimal("72.50")) == "72.5"
    assert values_module.decimal_text(Decimal("0.00")) == "0"
    moment = datetime(2026, 3, 1, 1, 30, 5, 123456, tzinfo=UTC)
    assert values_module.utc(moment) == "2026-03-01T01:30:05.123Z"
    assert values_module.after("2024-05", date(2024, 4, 30))
    assert not values_module.after("2024-05", date(2024, 5, 1))
    assert not values_module.after(None, date(2024, 5, 1))
    assert not values_module.after("2099", None)


def test_the_file_is_the_same_whatever_the_makers_language(demo, tmp_path):
    """Names stay English and the decodes carry both languages, for a maker reading Chinese."""
    out = tmp_path / "zh.xml"
    ctx = registry.ExportContext(actor=demo["monitor"], locale="zh_Hans")
    runner.produce("odm", ctx, out)
    root = etree.parse(str(out)).getroot()
    vitals = root.find(".//odm:FormDef[@OID='F.VS']", NS)
    assert vitals.get("Name") == "Vital signs"
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    texts = {t.get(lang): t.text for t in vitals.findall("odm:Description/odm:TranslatedText", NS)}
    assert texts == {"en": "Vital signs", "zh": "生命体征"}
    outcome = root.find(".//odm:CodeListItem[@CodedValue='RECOVERED/RESOLVED']/odm:Decode", NS)
    assert {t.get(lang): t.text for t in outcome} == {"en": "recovered", "zh": "已恢复"}
