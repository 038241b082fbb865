"""A Chinese reader sees the protocol's Chinese labels: visit, lab, bleeding item, criterion."""

from __future__ import annotations

from datetime import UTC, date, datetime

from studyapp.db import freeze_clock
from tests import factories

DAY1 = date(2026, 3, 2)


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
        f"{base}/eligibility": ["既往接受过糖皮质激素治疗ITP", "精神疾病"],
    }
    for path, wanted in pages.items():
        html = client.get(path).get_data(as_text=True)
        for text in wanted:
            assert text in html, (path, text)
    assert "Dose 3" not in client.get(f"{base}/visits/3").get_data(as_text=True)
