"""The SUSAR report names and the SAE page's deadline hint take their days from the protocol."""

from __future__ import annotations

from dataclasses import replace

from studyapp.protocol.loader import get_protocol
from studyapp.subjects import labels


def test_report_kinds_name_the_protocols_days(app):
    assert labels.label("report_kind", "SUSAR_FATAL") == (
        "SUSAR, fatal or life-threatening: 7-day report"
    )
    assert labels.label("report_kind", "SUSAR") == "SUSAR: 15-day report"


def test_other_days_in_the_protocol_change_the_names(app, monkeypatch):
    protocol = get_protocol()
    other = replace(
        protocol, safety=replace(protocol.safety, susar_fatal_days=5, susar_other_days=10)
    )
    monkeypatch.setattr(labels, "get_protocol", lambda: other)
    assert labels.label("report_kind", "SUSAR_FATAL_FOLLOWUP") == "SUSAR 5-day report: follow-up"
    assert labels.label("report_kind", "SUSAR") == "SUSAR: 10-day report"


def test_the_sae_page_states_the_protocols_deadlines(client, users, auth):
    auth.login("inv.user")
    page = client.get("/safety/saes").get_data(as_text=True)
    assert "SUSARs: 7 days (fatal or life-threatening, follow-up 8 days later) or 15 days" in page
