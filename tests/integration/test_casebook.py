"""The subject casebook (issue 13 deliverable 2; P11-02, P11-13): one subject's PDF with every
page and form, values and units, status, signatures and the audit trail; every subject's in a
zip; through the runner, the reports page and the command; on the demo study."""

from __future__ import annotations

import functools
import io
import json
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from studyapp.audit import set_reason
from studyapp.audit.context import acting_as
from studyapp.audit.models import AuditLog
from studyapp.db import site_today, site_zone
from studyapp.demo.loader import load_demo
from studyapp.errors import PermissionDenied
from studyapp.exports import catalogue, runner
from studyapp.exports.registry import ExportContext
from studyapp.extensions import db
from studyapp.formatting import plain_number
from studyapp.safety.models import AdverseEvent
from studyapp.signatures.models import Signature
from studyapp.subjects.models import Subject
from studyapp.visits.models import DoseAdministration, LabResult, Medication, VitalSigns
from tests.integration.test_demo import database_template  # noqa: F401 - the demo study, one template

pytestmark = [pytest.mark.req("P11-02"), pytest.mark.req("P11-13")]


@pytest.fixture
def demo(app):
    accounts = load_demo()  # on the copy: adds nothing, answers the accounts
    db.session.expire_all()
    catalogue.load()
    return {user.username: user for user in accounts}


@functools.lru_cache(maxsize=4)
def text_of(data: bytes) -> str:
    """Every page's text, read by PDFium (an independent reader, and about fifteen times
    faster than pypdf on a casebook of a few hundred pages; a file read twice by one test is
    read once)."""
    document = pdfium.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def title_of(data: bytes) -> str:
    """The first page's text, where the title block is."""
    document = pdfium.PdfDocument(data)
    try:
        return document[0].get_textpage().get_text_range()
    finally:
        document.close()


def flat(text: str) -> str:
    """The text with the table cells' line breaks removed (a cell may wrap)."""
    return " ".join(text.split())


def subject(label: str = "ITP-001") -> Subject:
    return db.session.scalar(select(Subject).where(Subject.subject_number == label))


def make(tmp_path, actor, kind="casebook", label="ITP-001", **extra):
    out = tmp_path / f"{kind}.out"
    subject_id = subject(label).id if kind == "casebook" else None
    ctx = ExportContext(actor=actor, subject_id=subject_id, **extra)
    with acting_as(actor):
        result = runner.produce(kind, ctx, out)
    return out.read_bytes(), result


def first(model, *where, order=None):
    query = select(model).where(*where).order_by(order if order is not None else model.id)
    return db.session.scalars(query).first()


def test_the_casebook_shows_saved_values_with_units_status_and_signatures(app, demo, tmp_path):
    pdf, result = make(tmp_path, demo["mon.chen"])
    text = flat(text_of(pdf))
    one = subject()
    vitals = first(VitalSigns, VitalSigns.subject_id == one.id)
    assert f"Weight (kg) {plain_number(vitals.weight)} {vitals.weight_unit}" in text
    platelets = first(LabResult, LabResult.subject_id == one.id, LabResult.testcd == "PLAT")
    assert f"Platelets (PLAT) {plain_number(platelets.orres)} {platelets.orresu}" in text
    dose = first(DoseAdministration, DoseAdministration.subject_id == one.id)
    assert dose.dose_unit == "mg"
    assert f"Dose given (mg) {plain_number(dose.given_dose)} mg" in text
    event = first(AdverseEvent, AdverseEvent.subject_id == one.id, AdverseEvent.grade >= 2)
    assert f"{event.label}: {event.aeterm} · Status: complete" in text
    assert f"CTCAE grade {event.grade}" in text
    signature = db.session.get(Signature, one.eligibility_signature_id)
    local = signature.signed_at.astimezone(site_zone()).strftime("%Y-%m-%d %H:%M")
    assert f"{signature.printed_name} (Investigator) {local} +08:00" in text
    assert f"+08:00 {signature.meaning} valid" in text
    assert "Confidential" in text
    assert "Page 1 of" in text
    assert result.rows["records"] > 20
    assert result.rows["audit_rows"] > 100


def test_the_audit_trail_names_fields_by_their_form_labels(app, demo, tmp_path):
    pdf, _result = make(tmp_path, demo["mon.chen"])
    trail = flat(text_of(pdf).split("Audit trail", 1)[1])
    for label in ("Weight (kg)", "Date of measurement", "Date of informed consent", "CTCAE grade"):
        assert label in trail
    for column in (" vs_date ", " weight_unit ", " consent_date ", " aeterm ", " given_dose "):
        assert column not in trail
    assert "Weight (kg): unit" in trail  # a unit column named after its value's label
    assert "crc.li (Study coordinator)" in trail  # the role by its name


def test_a_value_entered_after_the_cutoff_is_absent(app, demo, tmp_path):
    one = subject()
    vitals = first(VitalSigns, VitalSigns.subject_id == one.id)
    before = plain_number(vitals.weight)
    with acting_as(demo["inv.zhang"]):
        set_reason("Typo7")
        vitals.weight = vitals.weight + Decimal("7.7")
        db.session.add(Medication(subject_id=one.id, trt="Casebookcillin", ongoing=True))
        db.session.flush()
    after = plain_number(vitals.weight)
    cutoff = site_today() - timedelta(days=1)
    pdf, _result = make(tmp_path, demo["mon.chen"], cutoff=cutoff)
    text = flat(text_of(pdf))
    assert f"Weight (kg) {before} kg" in text
    assert f"Weight (kg) {after} kg" not in text
    assert "Casebookcillin" not in text
    assert "Typo7" not in text
    assert f"Data cut-off date {cutoff.isoformat()}" in text
    now = flat(text_of(make(tmp_path, demo["mon.chen"])[0]))
    assert f"Weight (kg) {after} kg" in now
    assert "Casebookcillin" in now
    assert "Typo7" in now


def test_all_casebooks_are_a_zip_of_one_pdf_per_subject(app, demo, tmp_path):
    progress = []
    data, result = make(
        tmp_path, demo["dm.wang"], kind="casebooks", progress=lambda d, t: progress.append((d, t))
    )
    labels = [s.label for s in db.session.scalars(select(Subject).order_by(Subject.id))]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert len(names) == len(labels) == 8
        for name, label in zip(names, labels, strict=True):
            assert name.endswith(f"_casebook_{label}.pdf")
            assert f"Casebook of subject {label}" in title_of(archive.read(name))
    assert result.rows["subjects"] == 8
    assert progress[0] == (0, 8)
    assert progress[-1] == (8, 8)
    assert result.filename.endswith(".zip")


def test_the_chinese_casebook_shows_chinese_labels(app, demo, tmp_path):
    with force_locale("zh_Hans"):
        labels = [str(_l("Weight (kg)")), str(_l("Vital signs")), str(_l("Adverse events"))]
    assert all(
        label != english
        for label, english in zip(
            labels, ("Weight (kg)", "Vital signs", "Adverse events"), strict=True
        )
    )
    pdf, _result = make(tmp_path, demo["mon.chen"], locale="zh_Hans")
    text = flat(text_of(pdf))
    for label in labels:
        assert label in text


def test_the_command_writes_the_casebook_and_audits_it(app, demo, tmp_path):
    out = tmp_path / "ITP-001.pdf"
    args = ["report", "casebook", "--subject", "ITP-001", "--out", str(out), "--as", "mon.chen"]
    answer = app.test_cli_runner().invoke(args=args)
    assert answer.exit_code == 0, answer.output
    assert "Casebook of subject ITP-001" in title_of(out.read_bytes())
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "export"))
    details = json.loads(row.new_value)
    assert (row.username, row.row_id) == ("mon.chen", "casebook")
    assert details["subject_id"] == subject().id
    # "all" with a cut-off on the first screening day: the zip of the subjects screened by
    # then (the zip of every subject is test_all_casebooks_are_a_zip_of_one_pdf_per_subject).
    first_day, screened_then = _first_screening_day()
    every = tmp_path / "all.zip"
    args = ["report", "casebook", "--subject", "all", "--out", str(every), "--as", "mon.chen"]
    answer = app.test_cli_runner().invoke(args=[*args, "--cutoff", first_day.isoformat()])
    assert answer.exit_code == 0, answer.output
    names = zipfile.ZipFile(every).namelist()
    assert [name.rsplit("_", 1)[1] for name in names] == [f"{s}.pdf" for s in screened_then]


def _first_screening_day() -> tuple[date, list[str]]:
    """The site date of the first screening, and the subjects screened by then."""
    everyone = list(db.session.scalars(select(Subject).order_by(Subject.id)))
    day = min(s.created_at.astimezone(site_zone()).date() for s in everyone)
    return day, [s.label for s in everyone if s.created_at.astimezone(site_zone()).date() <= day]


def test_the_command_refuses_an_unknown_subject_and_a_coordinator(app, demo, tmp_path):
    out = tmp_path / "x.pdf"
    base = ["report", "casebook", "--out", str(out)]
    unknown = app.test_cli_runner().invoke(args=[*base, "--subject", "ITP-999", "--as", "mon.chen"])
    assert unknown.exit_code == 2
    assert "ITP-999" in unknown.output
    refused = app.test_cli_runner().invoke(args=[*base, "--subject", "ITP-001", "--as", "crc.li"])
    assert refused.exit_code == 1
    assert not out.exists()
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "export")) is None


def test_a_coordinator_is_refused(app, demo, tmp_path, users, auth, client):
    with pytest.raises(PermissionDenied):
        make(tmp_path, demo["crc.li"])
    auth.login("crc.user")
    token = auth.token("/")
    data = {"csrf_token": token, "kind": "casebook", "subject_id": str(subject().id)}
    assert client.post("/reports/", data=data).status_code == 403


def _ask(auth, **data):
    return auth.post("/reports/", data, page="/reports/")


def test_the_page_makes_the_casebook_and_answers_a_bad_subject_without_error(
    app, demo, users, auth, client
):
    auth.login("mon.user")
    asked = _ask(auth, kind="casebook", subject_id=str(subject().id))
    assert asked.status_code == 302
    html = client.get(asked.headers["Location"]).get_data(as_text=True)
    link = html.split('data-testid="download"')[0].rsplit('href="', 1)[1].split('"')[0]
    got = client.get(link)
    assert got.mimetype == "application/pdf"
    assert "Casebook of subject ITP-001" in title_of(got.data)
    got.close()
    assert _ask(auth, kind="casebook", subject_id="99999").status_code == 404
    assert _ask(auth, kind="casebook", subject_id="abc").status_code in (404, 422)
    assert _ask(auth, kind="casebook").status_code == 422
    assert _ask(auth, kind="casebooks", subject_id=str(subject().id)).status_code == 422


def test_an_investigator_gets_the_casebook_without_the_audit_trail(app, demo, tmp_path):
    """Investigators make casebooks (VIEW_REPORTS) but do not view the audit trail."""
    pdf, result = make(tmp_path, demo["inv.zhang"])
    text = flat(text_of(pdf))
    assert "Left out: your role does not view the audit trail." in text
    assert result.rows["audit_rows"] == 0
    assert "Investigator confirmation of eligibility" in text


VITALS = {
    "weight": "Weight (kg)",
    "sysbp": "Systolic blood pressure (mmHg)",
    "diabp": "Diastolic blood pressure (mmHg)",
    "pulse": "Heart rate (beats/min)",
}


def test_every_saved_value_of_these_forms_is_in_the_casebook(app, demo, tmp_path):
    """Field by field against the database (P11-02): every vital sign, platelet count, dose
    given and adverse event grade of the subject."""
    one = subject()
    text = flat(text_of(make(tmp_path, demo["mon.chen"])[0]))
    vitals = db.session.scalars(select(VitalSigns).where(VitalSigns.subject_id == one.id))
    checked = 0
    for row in vitals:
        units = {"weight": row.weight_unit, "pulse": row.pulse_unit}
        for column, label in VITALS.items():
            value = getattr(row, column)
            if value is not None:
                unit = units.get(column, row.bp_unit)
                assert f"{label} {plain_number(value)} {unit}" in text, (column, value)
                checked += 1
    query = select(LabResult).where(LabResult.subject_id == one.id, LabResult.testcd == "PLAT")
    for result in db.session.scalars(query):
        assert f"(PLAT) {plain_number(result.orres)} {result.orresu}" in text
        checked += 1
    doses = select(DoseAdministration).where(DoseAdministration.subject_id == one.id)
    for dose in db.session.scalars(doses):
        assert f"Dose given (mg) {plain_number(dose.given_dose)} {dose.dose_unit}" in text
        checked += 1
    for event in db.session.scalars(select(AdverseEvent).where(AdverseEvent.subject_id == one.id)):
        block = text.split(f"{event.label}: {event.aeterm} · Status: ", 1)[1]
        block = block.split(" · Status: ", 1)[0]  # up to the next record
        assert f"AE number {event.aespid} " in block
        assert f"CTCAE grade {event.grade} " in block
        checked += 1
    assert checked > 40


def test_a_subject_screened_after_the_cutoff_has_no_casebook_in_the_zip(app, demo, tmp_path):
    everyone = list(db.session.scalars(select(Subject).order_by(Subject.id)))
    cutoff, expected = _first_screening_day()
    data, result = make(tmp_path, demo["mon.chen"], kind="casebooks", cutoff=cutoff)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
    assert 0 < len(names) == len(expected) < len(everyone)
    assert [name.rsplit("_", 1)[1] for name in names] == [f"{label}.pdf" for label in expected]
    assert result.rows["subjects"] == len(expected)
