"""The study safety report PDF on the demo study: the numbers a monitor relies on, read back
from the PDF's text (pypdf), equal the screens' own services (the safety overview, the subject
page's doses and response); the cut-off leaves later data out; pages are numbered "N of M";
Chinese is set in the embedded TrueType font; the command writes the file and the audit row;
a coordinator is refused."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from pypdf import PdfReader
from sqlalchemy import select

from studyapp import codelists
from studyapp.audit.context import acting_as
from studyapp.audit.models import AuditLog
from studyapp.db import site_today, site_zone
from studyapp.errors import PermissionDenied
from studyapp.exports import registry, runner
from studyapp.exports.registry import ExportContext
from studyapp.exports.safety_report import build
from studyapp.extensions import db
from studyapp.formatting import plain_number
from studyapp.reports import safety_pdf
from studyapp.safety import overview, sae
from studyapp.signatures.models import Signature
from studyapp.subjects import queries, runin, services
from studyapp.subjects.labels import label
from studyapp.subjects.models import ENROLLED, Subject
from studyapp.visits import durable, summary
from studyapp.visits.labs.findings import findings
from tests.integration.test_demo import database_template  # noqa: F401 - the demo study, one template


def make(users, tmp_path, role="monitor", **options):
    ctx = ExportContext(actor=users[role], **options)
    out = tmp_path / "safety.pdf"
    result = runner.produce("safety_report", ctx, out)
    db.session.flush()
    return result, PdfReader(io.BytesIO(out.read_bytes()))


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def enrolled() -> list[Subject]:
    return list(
        db.session.scalars(select(Subject).where(Subject.status == ENROLLED).order_by(Subject.id))
    )


def cells(*values: object) -> str:
    """Adjacent table cells as the text extraction gives them: one per line."""
    return "\n".join(str(v) for v in values)


def test_ae_counts_by_grade_equal_the_safety_overview(app, users, tmp_path):
    result, reader = make(users, tmp_path)
    text = text_of(reader)
    seen = overview.overview(users["monitor"])
    assert seen.episodes, "the demo has adverse events"
    for grade in overview.GRADES:
        events = sum(1 for e in seen.episodes if e.worst == grade)
        assert cells(f"Grade {grade}", seen.subjects_by_grade[grade], events) in text
    assert cells("Any grade", len(seen.by_subject), len(seen.episodes)) in text
    for row in seen.by_term:
        grades = [row.by_grade[g] for g in overview.GRADES]
        assert cells(row.term, row.subjects, row.episodes, *grades) in text
    assert result.rows["adverse_events"] == len(seen.episodes)


def test_doses_and_cumulative_mg_equal_the_subject_page(app, users, tmp_path):
    _result, reader = make(users, tmp_path)
    text = text_of(reader)
    total = 0
    for subject in enrolled():
        page = summary.summary(subject, site_today())
        numbers = {d.dose_number for d in page.doses}
        mg = sum((Decimal(d.given_dose) for d in page.doses if d.given_dose), Decimal(0))
        total += len(numbers)
        assert cells(subject.label, len(numbers), plain_number(mg)) in text
    assert total > 0, "the demo has doses"


def test_response_counts_equal_the_subject_page(app, users, tmp_path):
    _result, reader = make(users, tmp_path)
    text = text_of(reader)
    dosed = [s for s in enrolled() if s.day1_date <= site_today()]
    pages = [summary.summary(s, site_today()) for s in dosed]
    best = Counter(p.assessment.best_response for p in pages if p.assessment)
    assert sum(best.values()) > 0
    assert cells("Dosed subjects", len(dosed)) in text
    for level in ("CR", "R", "NR"):
        share = (Decimal(best[level]) * 100 / len(dosed)).quantize(Decimal("0.1"))
        assert cells(f"Best response {level}", f"{best[level]} ({share}%)") in text
    for subject, page in zip(dosed, pages, strict=True):
        if page.assessment:
            row = (subject.label, plain_number(page.baseline), page.assessment.best_response)
            assert cells(*row) in text


def test_durable_response_counts_equal_the_subject_page(app, users, tmp_path):
    _result, reader = make(users, tmp_path)
    text = text_of(reader)
    dosed = [s for s in enrolled() if s.day1_date <= site_today()]
    pages = [summary.summary(s, site_today()) for s in dosed]
    status = Counter(
        durable.durable(s, p.counts, p.rescue).status for s, p in zip(dosed, pages, strict=True)
    )
    for name, key in (
        ("Durable response", "yes"),
        ("Durable response not yet assessable", "not_yet"),
    ):
        share = (Decimal(status[key]) * 100 / len(dosed)).quantize(Decimal("0.1"))
        assert cells(name, f"{status[key]} ({share}%)") in text


def test_pages_are_numbered_n_of_m_with_header(app, users, tmp_path):
    _result, reader = make(users, tmp_path)
    pages = len(reader.pages)
    assert pages > 3
    first, last = reader.pages[0].extract_text(), reader.pages[-1].extract_text()
    assert f"Page 1 of {pages}" in first
    assert f"Page {pages} of {pages}" in last
    assert "Confidential" in first
    assert "Study safety report" in first
    assert users["monitor"].full_name in first


def test_every_page_is_numbered_and_a_listing_repeats_its_header_on_each_page(app, users, tmp_path):
    _result, reader = make(users, tmp_path)
    pages = [page.extract_text() for page in reader.pages]
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Confidential" in text
    header = cells("Subject", "Test", "Date", "Visit", "Result", "Grade")
    start = next(i for i, t in enumerate(pages) if "Results of grade 3 or higher" in t)
    end = next(i for i, t in enumerate(pages) if "ITP response" in t)
    assert end > start
    for text in pages[start : end + 1]:
        assert text.count(header) == 1
    assert pages[end].startswith(header), "the listing runs onto the next page, under its header"
    listing = "\n".join(pages[start : end + 1]).split("Results of grade 3 or higher", 1)[1]
    listing = listing.split("ITP response", 1)[0]
    rows = Counter(
        cells(subject.label, found.term, found.on.isoformat())
        for subject in enrolled()
        for found in findings(subject.id, min_grade=3)
    )
    assert rows
    for row, times in rows.items():
        assert listing.count(row) == times


def test_the_sections_are_read_once_as_the_report_is_laid_out(app, users, tmp_path):
    data, rows = build.gather(ExportContext(actor=users["monitor"]))
    assert rows["adverse_events"] > 0  # read at the start
    assert rows["subjects"] == rows["doses"] == rows["charts"] == 0  # not yet
    safety_pdf.render(data, io.BytesIO())
    assert rows["subjects"] > 0
    assert rows["charts"] == len([s for s in enrolled() if s.day1_date <= site_today()])
    assert list(data.sections) == []


def test_one_chart_per_dosed_subject(app, users, tmp_path):
    result, reader = make(users, tmp_path)
    text = text_of(reader)
    dosed = [s for s in enrolled() if s.day1_date <= site_today()]
    assert result.rows["charts"] == len(dosed)
    assert text.count("Platelet count (x10^9/L) by study day") == len(dosed)


def test_the_cutoff_leaves_later_data_out(app, users, tmp_path):
    subjects = enrolled()
    onsets = [date.fromisoformat(e.first.start_date) for e in overview.episodes()]
    cutoff = max(onsets) - timedelta(days=1)  # the latest AE falls after it
    result, reader = make(users, tmp_path, cutoff=cutoff)
    text = text_of(reader)
    assert f"Data cut-off\n{cutoff.isoformat()}" in text
    doses = 0
    for subject in subjects:
        if subject.enrolled_at.astimezone(site_zone()).date() > cutoff:
            assert subject.label not in text, "enrolled after the cut-off"
            continue
        given = [d for d in summary.doses(subject) if d.ec_date <= cutoff]
        doses += len({d.dose_number for d in given})
        mg = sum((Decimal(d.given_dose) for d in given if d.given_dose), Decimal(0))
        assert cells(subject.label, len({d.dose_number for d in given}), plain_number(mg)) in text
    assert result.rows["doses"] == doses
    everything = sum(len({d.dose_number for d in summary.doses(s)}) for s in subjects)
    assert doses < everything, "the cut-off excludes doses given after it"
    later = [e for e in overview.episodes() if e.first.start_date > cutoff.isoformat()]
    kept = [e for e in overview.episodes() if e.first.start_date <= cutoff.isoformat()]
    assert result.rows["adverse_events"] == len(kept)
    assert later, "the demo has AEs after the cut-off"
    for term in {e.first.term for e in later} - {e.first.term for e in kept}:
        assert term not in text


def test_a_cutoff_before_any_screening_gives_an_empty_report(app, users, tmp_path):
    first = min(s.screening_date for s in db.session.scalars(select(Subject)))
    result, reader = make(users, tmp_path, cutoff=first - timedelta(days=1))
    text = text_of(reader)
    assert cells("Screened", 0) in text
    assert result.rows == {
        "subjects": 0,
        "doses": 0,
        "adverse_events": 0,
        "lab_findings": 0,
        "charts": 0,
    }
    assert not any(s.label in text for s in enrolled())


def test_chinese_report_embeds_the_truetype_font(app, users, tmp_path):
    _result, reader = make(users, tmp_path, locale="zh_Hans")
    text = text_of(reader)
    with force_locale("zh_Hans"):
        chart_title = _("Platelet count (x10^9/L) by study day")
    assert chart_title != "Platelet count (x10^9/L) by study day", "a translated string"
    assert chart_title in text
    assert re.search("[\u4e00-\u9fff]", text)
    fonts = {
        font.get_object()["/BaseFont"]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts
    assert all(re.fullmatch(r"/[A-Z]{6}\+WenQuanYiMicroHei-\d+", f) for f in fonts)
    font = next(iter(reader.pages[0]["/Resources"]["/Font"].values())).get_object()
    assert font["/Subtype"] == "/TrueType"
    assert "/FontFile2" in font["/FontDescriptor"]


def test_the_command_writes_the_report_and_audits_it(app, users, tmp_path):
    out = tmp_path / "report.pdf"
    cutoff = site_today() - timedelta(days=2)
    args = ["report", "safety", "--out", str(out), "--as", "mon.user"]
    answer = app.test_cli_runner().invoke(args=[*args, "--cutoff", cutoff.isoformat()])
    assert answer.exit_code == 0, answer.output
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    assert f"Page 1 of {len(reader.pages)}" in reader.pages[0].extract_text()
    db.session.expire_all()
    row = db.session.scalar(
        select(AuditLog).where(AuditLog.action == "export", AuditLog.row_id == "safety_report")
    )
    details = json.loads(row.new_value)
    assert row.username == "mon.user"
    assert details["cutoff"] == cutoff.isoformat()
    assert details["rows"]["subjects"] > 0
    assert details["file"].endswith(f"_safety_report_{cutoff}.pdf")


def test_a_coordinator_is_refused(app, users, auth, client, tmp_path):
    ctx = ExportContext(actor=users["coordinator"])
    with pytest.raises(PermissionDenied):
        runner.produce("safety_report", ctx, tmp_path / "x.pdf")
    with pytest.raises(PermissionDenied):
        build.gather(ctx)
    auth.login("crc.user")
    assert client.get("/reports/").status_code == 403
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "export")) is None


def test_the_kind_is_registered_for_the_reports_page(app, users, auth, client):
    export = registry.get("safety_report")
    assert export is not None
    assert export.group == "report"
    assert export.cutoff
    auth.login("mon.user")
    assert "Study safety report" in client.get("/reports/").get_data(as_text=True)


def test_a_grade_change_after_the_cutoff_does_not_count_yet(app, users, tmp_path):
    changed = next(e for e in overview.episodes() if len({r.grade for r in e.records}) > 1)
    first, second = changed.records[0], changed.records[1]
    cutoff = date.fromisoformat(second.start_date) - timedelta(days=1)
    _result, reader = make(users, tmp_path, cutoff=cutoff)
    text = text_of(reader)
    by_grade = [1 if g == first.grade else 0 for g in overview.GRADES]
    assert cells(changed.first.term, 1, 1, *by_grade) in text


def test_the_monitor_makes_the_report_on_the_page(app, users, auth, client):
    auth.login("mon.user")
    asked = auth.post("/reports/", {"kind": "safety_report", "cutoff": ""}, page="/reports/")
    assert asked.status_code == 302
    html = client.get(asked.headers["Location"]).get_data(as_text=True)
    link = html.split('data-testid="download"')[0].rsplit('href="', 1)[1].split('"')[0]
    got = client.get(link)
    assert got.status_code == 200
    assert got.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(got.data))
    got.close()
    assert f"Page 1 of {len(reader.pages)}" in reader.pages[0].extract_text()


def test_disposition_equals_the_dashboard_counts(app, users, tmp_path):
    _result, reader = make(users, tmp_path)
    text = text_of(reader)
    counts = queries.counts(queries.rows(users["monitor"], site_today()))
    enrolled_ = counts["enrolled_total"]
    assert cells("Screened", counts["screened"]) in text
    assert cells("Screen failed", counts["screen_failed"]) in text
    assert cells("Enrolled", enrolled_) in text
    for phase in ("in_treatment", "in_follow_up", "completed", "discontinued"):
        share = (Decimal(counts[phase]) * 100 / enrolled_).quantize(Decimal("0.1"))
        assert cells(label("status", phase), f"{counts[phase]} ({share}%)") in text


def test_the_runin_section_shows_the_gate_and_its_signed_review(app, users, tmp_path):
    _result, reader = make(users, tmp_path)
    text = text_of(reader)
    state = runin.gate(site_today())
    assert state.review is not None
    assert state.subjects
    for member in state.subjects:
        day1, end = member.subject.day1_date.isoformat(), member.window_end.isoformat()
        finding = "Yes" if member.dlt else "No"
        assert cells(member.subject.label, day1, end, finding) in text
    assert cells("Decision", label("decision", state.review.decision)) in text
    assert cells("Subjects with a DLT", state.review.dlt_count) in text


def test_sae_deadlines_equal_the_sae_clocks(app, users, tmp_path):
    _result, reader = make(users, tmp_path)
    text = text_of(reader)
    items = sae.saes(users["monitor"])
    assert items, "the demo has an SAE"
    for item in items:
        assert item.clocks
        for clock in item.clocks:
            local = clock.deadline.astimezone(site_zone())
            assert f"{local:%Y-%m-%d %H:%M}" in text


def test_lab_grades_equal_the_lab_findings(app, users, tmp_path):
    _result, reader = make(users, tmp_path)
    text = text_of(reader)
    worst: dict[str, dict[int, int]] = {}
    graded: Counter[str] = Counter()
    for subject in enrolled():
        for found in findings(subject.id, min_grade=1):
            graded[found.term] += 1
            mine = worst.setdefault(found.term, {})
            mine[subject.id] = max(mine.get(subject.id, 0), found.grade)
    assert worst, "the demo has graded lab results"
    for term, by_subject in worst.items():
        grades = [sum(1 for g in by_subject.values() if g == grade) for grade in (1, 2, 3, 4)]
        assert cells(term, *grades, len(by_subject), graded[term]) in text


def test_a_withdrawal_counts_with_its_reason_from_its_date(app, users, tmp_path):
    subject = enrolled()[-1]
    on = site_today() - timedelta(days=2)
    with acting_as(users["investigator"]):
        services.record_disposition(
            users["investigator"], subject.id, decod="ADVERSE EVENT", on=on, reason="Rash"
        )
    label_ = str(codelists.DISPOSITION.labels["ADVERSE EVENT"])
    _result, reader = make(users, tmp_path, cutoff=on)
    text = text_of(reader)
    enrolled_ = len(enrolled())
    share = (Decimal(100) / enrolled_).quantize(Decimal("0.1"))
    assert cells(label("status", "discontinued"), f"1 ({share}%)") in text
    assert cells(f"- {label_} (ADVERSE EVENT)", f"1 ({share}%)") in text
    _result, reader = make(users, tmp_path, cutoff=on - timedelta(days=1))
    text = text_of(reader)
    assert cells(label("status", "discontinued"), "0 (0.0%)") in text
    assert cells(f"- {label_} (ADVERSE EVENT)", "0 (0.0%)") in text


def test_a_review_signed_after_the_cutoff_is_marked(app, users, tmp_path):
    review = runin.latest_review()
    signed = db.session.get(Signature, review.signature_id).signed_at
    day = signed.astimezone(site_zone()).date()
    _result, reader = make(users, tmp_path, cutoff=day - timedelta(days=1))
    assert "This review was signed after the data cut-off." in text_of(reader)
    _result, reader = make(users, tmp_path, cutoff=day)
    assert "This review was signed after the data cut-off." not in text_of(reader)
