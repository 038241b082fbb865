"""A Chinese reader sees the protocol's Chinese labels (visit, lab, bleeding item, criterion),
CTCAE SOC and grade words in Chinese, and the audit trail's names translated."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from studyapp.db import freeze_clock
from studyapp.localized import local_threshold
from studyapp.safety.ctcae_zh import grade_label, soc_label
from tests import factories

DAY1 = date(2026, 3, 2)
GRADE_LABELS = re.compile(r'data-grade-labels="([^"]*)"')


def test_chinese_pages_show_the_protocol_labels_in_chinese(client, auth, users):
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subject = factories.make_enrolled(users["investigator"], DAY1, screened=date(2026, 3, 1))
    freeze_clock(datetime(2026, 3, 16, 2, 0, tzinfo=UTC))  # Day 15: visit 3, "Dose 3"
    auth.login("inv.user")
    auth.post("/language", {"locale": "zh_Hans", "next": "/"}, page="/")
    base = f"/subjects/{subject.id}"
    pages = {
        f"{base}/visits": ["第3次给药", "筛选期"],
        f"{base}/visits/3": ["第3次给药"],
        f"{base}/visits/3/labs/CBC": ["血小板计数", "×10⁹/L"],
        f"{base}/visits/3/bleeding": ["鼻出血", "瘀点", "0: 无出血"],
        f"{base}/eligibility": ["既往接受过糖皮质激素治疗ITP", "精神疾病", "&gt;= 18 岁"],
    }
    for path, wanted in pages.items():
        page = client.get(path).get_data(as_text=True)
        for text in wanted:
            assert text in page, (path, text)
    assert "Dose 3" not in client.get(f"{base}/visits/3").get_data(as_text=True)
    ae_page = client.get(f"{base}/adverse-events/new").get_data(as_text=True)
    grades = json.loads(html.unescape(GRADE_LABELS.search(ae_page).group(1)))
    assert grades["3"] == "3 级（重度或具有重要医学意义）"


def test_chinese_audit_viewer_names_table_field_action_role_and_meaning(client, auth, users):
    subject = factories.make_signed(users["investigator"])
    auth.login("mon.user")
    auth.post("/language", {"locale": "zh_Hans", "next": "/"}, page="/")
    html = client.get(f"/audit/?subject_id={subject.id}&table_name=signature").get_data(
        as_text=True
    )
    rows = html.split('data-testid="audit-rows"', 1)[1]
    for text in ("签名", "含义", "录入", "(研究者)", "研究者确认入组资格"):
        assert text in rows, text
    assert "Investigator confirmation of eligibility" not in rows
    assert ">investigator<" not in rows


@pytest.mark.parametrize(
    ("lang", "soc", "grade", "expected"),
    [
        (
            "zh-CN",
            "Investigations",
            3,
            ("各类检查 (Investigations)", "3 级（重度或具有重要医学意义）"),
        ),
        (
            "en",
            "Investigations",
            3,
            ("Investigations", "Grade 3 (severe or medically significant)"),
        ),
        ("zh-CN", "Not a SOC", None, ("Not a SOC", "")),
        ("zh-CN", None, 7, ("", "7 级")),
    ],
)
def test_ctcae_soc_and_grade_words_in_the_reader_language(app, lang, soc, grade, expected):
    with app.test_request_context(headers={"Accept-Language": lang}):
        assert (soc_label(soc), grade_label(grade)) == expected


@pytest.mark.parametrize(
    ("threshold", "unit", "shown"),
    [
        (">= 18 years", "years", ">= 18 岁"),
        ("<= ULN (50 U/L)", "U/L", "<= ULN (50 U/L)"),
        ("== positive", "", "== positive"),
        (">= 3 months", "days", ">= 3 months"),  # a unit the threshold does not end with
    ],
)
def test_eligibility_threshold_unit_in_chinese(app, threshold, unit, shown):
    result = SimpleNamespace(threshold=threshold, unit=unit)
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert local_threshold(result) == shown
