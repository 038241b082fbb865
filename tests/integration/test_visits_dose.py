"""The dosing form (EC + PREMED): planned dose, given dose, infusion, premedication, run-in gate."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from studyapp.audit import acting_as
from studyapp.audit.models import AuditLog
from studyapp.db import freeze_clock
from studyapp.extensions import db
from studyapp.safety import runin as dlt_review
from studyapp.subjects import runin
from studyapp.transaction import transaction
from studyapp.visits.models import DoseAdministration, InfusionRateStep, VitalSigns
from studyapp.visits.vitals import service as vitals
from tests import factories
from tests.factories import PASSWORD, csrf_token

DAY1 = date(2026, 3, 2)
VISIT_DATES = {"1": DAY1, "2": DAY1 + timedelta(days=7), "3": DAY1 + timedelta(days=14)}


def at(day: date, hour: int = 10) -> None:
    freeze_clock(datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC))


def weigh(inv, subject, visitnum: str, kg: str, on: date | None = None) -> None:
    """A weight on the visit's vital signs form (a draft: only the weight; a change of the
    re-basing threshold or more is confirmed)."""
    on = on or VISIT_DATES[visitnum]
    with acting_as(inv), transaction():
        vitals.save(
            inv,
            subject.id,
            visitnum,
            vitals.VitalsEntry(on, None, {"weight": Decimal(kg)}),
            visit_date=on,
            completing=False,
            confirmed=True,
        )


@pytest.fixture
def subject(app, users):
    at(date(2026, 3, 1), 1)
    subject = factories.make_enrolled(users["investigator"], DAY1, screened=date(2026, 3, 1))
    at(DAY1 + timedelta(days=14))  # Day 15
    return subject


@pytest.fixture
def dosed_day1(subject, users):
    weigh(users["investigator"], subject, "1", "58.3")
    return subject


def path(subject, visitnum: str = "1", part: int | None = None) -> str:
    suffix = f"?part={part}" if part else ""
    return f"/subjects/{subject.id}/visits/{visitnum}/dose{suffix}"


def post(client, url, data):
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def form(visitnum: str = "1", **changes: str) -> dict[str, str]:
    on = VISIT_DATES[visitnum].isoformat()
    data = {
        "visit_date": on,
        "premed_time": "08:00",
        "premed_methylpred": "100",
        "premed_paracetamol": "650",
        "premed_antihistamine": "25",
        "ec_date": on,
        "start_time": "09:30",
        "stop_time": "16:00",
        "given_dose": "930",
        "given_volume": "46.5",
        "interrupted": "N",
        "step1_time": "09:30",
        "step1_rate": "50",
        "step2_time": "10:30",
        "step2_rate": "100",
        "action": "save",
    }
    return {**data, **changes}


def dose_row(part: int = 1) -> DoseAdministration:
    return db.session.scalar(
        select(DoseAdministration).where(
            DoseAdministration.part == part, DoseAdministration.deleted_at.is_(None)
        )
    )


def steps() -> list[tuple[str, Decimal]]:
    rows = db.session.scalars(
        select(InfusionRateStep)
        .where(InfusionRateStep.deleted_at.is_(None))
        .order_by(InfusionRateStep.seq)
    )
    return [(row.at_time.strftime("%H:%M"), row.rate) for row in rows]


def audit(table: str, field: str) -> AuditLog:
    """The latest update of *field* in *table*."""
    return db.session.scalar(
        select(AuditLog)
        .where(AuditLog.table_name == table, AuditLog.field == field, AuditLog.action == "update")
        .order_by(AuditLog.seq.desc())
    )


def text(response) -> str:
    return response.get_data(as_text=True)


def test_planned_dose_arithmetic_is_shown_and_stored(client, auth, users, dosed_day1):
    auth.login("inv.user")
    page = client.get(path(dosed_day1))
    assert page.status_code == 200, text(page)
    assert (
        "58.3 kg × 16 mg/kg = 932.8 mg → rounded to 930 mg (nearest 10 mg) = 46.5 mL at 20 mg/mL"
        in text(page)
    )
    assert "Dose 1 of 8" in text(page)
    assert "1000 mL, start at 50 mL/h, then +50 mL/h every 60 minutes" in text(page)
    assert "infusion-related reactions recorded as adverse events" in text(page)
    saved = post(client, path(dosed_day1), form())
    assert saved.status_code == 302, text(saved)
    record = dose_row()
    assert (record.dose_number, record.part, record.status) == (1, 1, "complete")
    assert (record.reference_weight, record.dosing_weight, record.weight_unit) == (
        Decimal("58.3"),
        Decimal("58.3"),
        "kg",
    )
    assert record.rebaselined is False
    assert (record.planned_dose, record.planned_volume) == (Decimal(930), Decimal("46.5"))
    assert (record.given_dose, record.dose_unit, record.volume_unit) == (Decimal(930), "mg", "mL")
    assert (record.deviation, record.deviation_pct) == (False, Decimal(0))
    assert (record.premed_methylpred, record.premed_unit) == (100, "mg")
    assert steps() == [("09:30", Decimal(50)), ("10:30", Decimal(100))]
    inserted = db.session.scalars(
        select(AuditLog.row_id).where(
            AuditLog.table_name == "infusion_rate_step", AuditLog.action == "insert"
        )
    ).all()
    assert len(set(inserted)) == 2


def test_later_dose_shows_the_weight_change_against_the_reference(client, auth, users, dosed_day1):
    weigh(users["investigator"], dosed_day1, "2", "58.0")
    auth.login("inv.user")
    html = text(client.get(path(dosed_day1, "2")))
    assert "58.3 kg × 16 mg/kg = 932.8 mg → rounded to 930 mg" in html
    assert "Reference weight 58.3 kg (Dose 1), this visit 58 kg (−0.5 %, within 10 %)." in html
    assert "Dose 2 of 8" in html
    assert "500 mL, start at 50 mL/h" in html


def test_a_weight_change_over_the_threshold_rebaselines_later_doses(
    client, auth, users, dosed_day1
):
    inv = users["investigator"]
    weigh(inv, dosed_day1, "2", "65.0")  # +11.5 % against 58.3
    weigh(inv, dosed_day1, "3", "64.0")  # -1.5 % against the new reference 65.0
    auth.login("inv.user")
    html = text(client.get(path(dosed_day1, "2")))
    assert "65 kg × 16 mg/kg = 1040 mg → rounded to 1040 mg" in html
    assert "(+11.5 %, more than 10 %: re-baselined" in html
    saved = post(client, path(dosed_day1, "2"), form("2", given_dose="1040", given_volume="52"))
    assert saved.status_code == 302, text(saved)
    assert (dose_row().rebaselined, dose_row().planned_dose) == (True, 1040)
    html = text(client.get(path(dosed_day1, "3")))
    assert "Reference weight 65 kg (Dose 2), this visit 64 kg (−1.5 %, within 10 %)." in html
    assert "= 1040 mg → rounded to 1040 mg" in html
    assert "100 mL/h" in html  # dose 3: later start rate (no IRR assumed)


def test_without_a_weight_the_form_points_to_vital_signs_and_drafts_only(
    client, auth, users, subject
):
    auth.login("inv.user")
    page = client.get(path(subject))
    assert page.status_code == 200
    assert "No weight is recorded at this visit" in text(page)
    assert f"/subjects/{subject.id}/visits/1/vitals" in text(page)
    refused = post(client, path(subject), form())
    assert refused.status_code == 422
    assert "Enter this visit&#39;s weight on the vital signs form first" in text(refused)
    assert dose_row() is None
    draft = post(client, path(subject), form(action="draft"))
    assert draft.status_code == 302, text(draft)
    assert (dose_row().status, dose_row().planned_dose) == ("in_progress", None)


def test_deviation_needs_a_reason_and_is_flagged(client, auth, users, dosed_day1):
    auth.login("inv.user")
    refused = post(client, path(dosed_day1), form(given_dose="1000", given_volume="50"))
    assert refused.status_code == 422
    assert "differs from the planned 930 mg by 7.53 %, more than 5 %" in text(refused)
    assert 'id="deviation_reason-error"' in text(refused)
    assert dose_row() is None
    saved = post(
        client,
        path(dosed_day1),
        form(given_dose="1000", given_volume="50", deviation_reason="vial rounding"),
    )
    assert saved.status_code == 302, text(saved)
    record = dose_row()
    assert (record.deviation, record.deviation_pct) == (True, Decimal("7.53"))
    assert record.deviation_reason == "vial rounding"
    assert "Deviation" in text(client.get(path(dosed_day1)))


def test_within_tolerance_no_flag(client, auth, users, dosed_day1):
    auth.login("inv.user")
    saved = post(client, path(dosed_day1), form(given_dose="970", given_volume="48.5"))
    assert saved.status_code == 302, text(saved)
    assert (dose_row().deviation, dose_row().deviation_pct) == (False, Decimal("4.30"))


def test_stop_before_start_is_refused(client, auth, users, dosed_day1):
    auth.login("inv.user")
    refused = post(client, path(dosed_day1), form(stop_time="09:00"))
    assert refused.status_code == 422
    assert "The infusion must stop after it starts (09:30)." in text(refused)
    assert 'value="09:00"' in text(refused)  # what was typed is kept
    assert dose_row() is None


def test_dose_date_other_than_visit_date_needs_confirmation(client, auth, users, dosed_day1):
    auth.login("inv.user")
    data = form(ec_date="2026-03-03")
    asked = post(client, path(dosed_day1), data)
    assert asked.status_code == 422
    assert "The dose date 2026-03-03 is not the visit date 2026-03-02." in text(asked)
    assert 'data-testid="confirm-box"' in text(asked)
    assert dose_row() is None
    confirmed = post(client, path(dosed_day1), {**data, "confirm": "y"})
    assert confirmed.status_code == 302, text(confirmed)
    assert "is not the visit date" in dose_row().confirmed_warnings


def test_rate_steps_edited_with_reason_touch_the_dose_and_are_audited(
    client, auth, users, dosed_day1
):
    auth.login("inv.user")
    assert post(client, path(dosed_day1), form()).status_code == 302
    version = dose_row().version
    changed = form(step2_rate="150", step3_time="11:30", step3_rate="200", version=str(version))
    assert post(client, path(dosed_day1), changed).status_code == 422  # no reason yet
    saved = post(client, path(dosed_day1), {**changed, "reason": "pump log"})
    assert saved.status_code == 302, text(saved)
    assert steps() == [("09:30", 50), ("10:30", 150), ("11:30", 200)]
    assert dose_row().version == version + 1  # only rate steps changed: the dose moved too
    row = audit("infusion_rate_step", "rate")
    assert (Decimal(row.old_value), Decimal(row.new_value), row.reason) == (100, 150, "pump log")
    fewer = form(version=str(version + 1), step2_time="", step2_rate="", reason="entered twice")
    assert post(client, path(dosed_day1), fewer).status_code == 302
    assert steps() == [("09:30", 50)]
    removed = db.session.scalars(
        select(InfusionRateStep).where(InfusionRateStep.deleted_at.is_not(None))
    ).all()
    assert [r.delete_reason for r in removed] == ["entered twice", "entered twice"]


def test_rate_steps_outside_the_infusion_or_out_of_order_are_refused(
    client, auth, users, dosed_day1
):
    auth.login("inv.user")
    refused = post(
        client,
        path(dosed_day1),
        form(step1_time="09:00", step2_time="17:00", step3_time="", step3_rate="75"),
    )
    assert refused.status_code == 422
    assert text(refused).count("Outside the infusion&#39;s start and stop times.") == 2
    assert "Give the time of this rate." in text(refused)
    order = post(client, path(dosed_day1), form(step1_time="11:00", step2_time="10:30"))
    assert "Rate changes must be listed in time order." in text(order)


def test_rate_above_the_maximum_warns(client, auth, users, dosed_day1):
    auth.login("inv.user")
    data = form(step2_rate="250")
    asked = post(client, path(dosed_day1), data)
    assert asked.status_code == 422
    assert "Above the protocol&#39;s maximum rate of 200 mL/h." in text(asked)
    assert post(client, path(dosed_day1), {**data, "confirm": "y"}).status_code == 302
    assert steps()[1] == ("10:30", 250)


def test_premedication_out_of_range_or_window_warns(client, auth, users, dosed_day1):
    auth.login("inv.user")
    data = form(premed_methylpred="200", premed_time="09:00")
    asked = post(client, path(dosed_day1), data)
    assert asked.status_code == 422
    html = text(asked)
    assert "Outside the protocol&#39;s dose of 60 to 100 mg." in html
    assert "Methylprednisolone is given 1 to 3 h before the infusion start (09:30)." in html
    assert post(client, path(dosed_day1), {**data, "confirm": "y"}).status_code == 302
    assert dose_row().premed_methylpred == 200


def test_interruption_needs_minutes_and_reason(client, auth, users, dosed_day1):
    auth.login("inv.user")
    refused = post(client, path(dosed_day1), form(interrupted="Y"))
    assert refused.status_code == 422
    assert 'id="interruption_reason-error"' in text(refused)
    too_long = post(
        client,
        path(dosed_day1),
        form(interrupted="Y", interruption_minutes="500", interruption_reason="IRR"),
    )
    assert "Longer than the infusion itself (390 minutes)." in text(too_long)
    saved = post(
        client,
        path(dosed_day1),
        form(interrupted="Y", interruption_minutes="30", interruption_reason="chills"),
    )
    assert saved.status_code == 302
    assert (dose_row().interrupted, dose_row().interruption_minutes) == (True, 30)


def test_edit_needs_a_reason_is_audited_and_a_stale_version_is_409(client, auth, users, dosed_day1):
    auth.login("inv.user")
    assert post(client, path(dosed_day1), form()).status_code == 302
    version = dose_row().version
    edit = form(given_dose="940", given_volume="47", version=str(version))
    refused = post(client, path(dosed_day1), edit)
    assert refused.status_code == 422
    assert "Give a reason for this change." in text(refused)
    saved = post(client, path(dosed_day1), {**edit, "reason": "transcription error"})
    assert saved.status_code == 302, text(saved)
    row = audit("dose_administration", "given_dose")
    assert (Decimal(row.old_value), Decimal(row.new_value)) == (930, 940)
    assert row.reason == "transcription error"
    stale = post(client, path(dosed_day1), {**edit, "given_dose": "950", "reason": "x"})
    assert stale.status_code == 409
    assert 'data-testid="conflict"' in text(stale)
    assert dose_row().given_dose == 940


@pytest.mark.req("P11-08")
def test_the_run_in_gate_refuses_a_dose(client, auth, users):
    """A 4th subject, enrolled once the review opened enrolment, whose review is withdrawn."""
    inv = users["investigator"]
    t0 = date(2026, 3, 2)
    for n in range(3):
        at(t0 + timedelta(days=7 * n), 1)
        factories.make_enrolled(inv, t0 + timedelta(days=7 * n))
    opened = t0 + timedelta(days=42)
    at(opened, 1)
    with acting_as(inv):
        review = dlt_review.sign_review(
            inv,
            findings={s.id: (False, "") for s in runin.run_in_subjects()},
            decision="continue",
            comments="",
            password=PASSWORD,
            username=None,
        )
    fourth = factories.make_enrolled(inv, opened)
    assert not fourth.run_in
    with acting_as(inv):
        review.soft_delete("signed in error")
        db.session.commit()
    assert runin.gate(opened).state == "review_due"
    at(opened, 10)
    weigh(inv, fourth, "1", "58.3", on=opened)
    auth.login("inv.user")
    data = form(visit_date=opened.isoformat(), ec_date=opened.isoformat())
    refused = post(client, path(fourth), data)
    assert refused.status_code == 409
    assert "DLT review opens enrolment" in text(refused)
    assert 'value="930"' in text(refused)
    assert dose_row() is None


def test_bad_input_gets_messages_not_errors(client, auth, users, dosed_day1):
    auth.login("inv.user")
    cases = {
        "given_dose": ("abc", "Enter a number, e.g. 58.3."),
        "given_volume": ("NaN", "Enter a number, e.g. 58.3."),
        "step1_rate": ("1e9", "Enter a number, e.g. 58.3."),
        "premed_paracetamol": ("99999999", "Out of range."),
        "ec_date": ("2026-02-30", "2026-02-30 is not a date of the calendar."),
        "start_time": ("25:99", "Not a valid time value."),
        "interruption_minutes": ("ten", "Enter a whole number."),
    }
    for name, (value, message) in cases.items():
        response = post(client, path(dosed_day1), form(**{name: value}))
        assert response.status_code == 422, name
        assert message in text(response), name
    huge = post(client, path(dosed_day1), form(given_dose="1000000"))
    assert huge.status_code == 422
    assert "Too large: must be below 1000000." in text(huge)
    html = post(
        client,
        path(dosed_day1),
        form(given_dose="1000", deviation_reason="<script>alert(1)</script>", stop_time="09:00"),
    )
    assert html.status_code == 422
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text(html)
    assert "<script>alert(1)" not in text(html)
    assert dose_row() is None


def test_visit_without_a_dose_is_404(client, auth, users, subject):
    auth.login("inv.user")
    page = client.get(path(subject, "9"))
    assert page.status_code == 404
    assert "No dose is planned at this visit" in text(page)
    assert client.get(path(subject, "1", part=2)).status_code == 404
    assert client.get(path(subject) + "?part=x").status_code == 404


def test_monitor_reads_but_cannot_save(client, auth, users, dosed_day1):
    auth.login("inv.user")
    assert post(client, path(dosed_day1), form()).status_code == 302
    auth.logout()
    auth.login("mon.user")
    assert client.get(path(dosed_day1)).status_code == 200
    refused = post(client, path(dosed_day1), form(version="1", reason="x"))
    assert refused.status_code == 403


def test_split_first_dose_gives_two_half_records(client, auth, users, dosed_day1):
    auth.login("inv.user")
    half = form(split="y", given_dose="465", given_volume="23.3")
    saved = post(client, path(dosed_day1), half)
    assert saved.status_code == 302, text(saved)
    one, two = dose_row(1), dose_row(2)
    assert (one.planned_dose, one.planned_volume) == (465, Decimal("23.3"))
    assert (two.planned_dose, two.status, two.dose_number) == (465, "in_progress", 1)
    page = client.get(path(dosed_day1, part=2))
    assert page.status_code == 200
    assert "this half is 465 mg = 23.3 mL" in text(page)
    second = form(
        given_dose="465", given_volume="23.3", ec_date="2026-03-03", version=str(two.version)
    )
    del second["visit_date"]
    # The part 2 draft holds no value yet: completing it fills fields, no reason needed.
    assert post(client, path(dosed_day1, part=2), second).status_code == 302
    assert (dose_row(2).ec_date, dose_row(2).status) == (date(2026, 3, 3), "complete")
    second["version"] = str(dose_row(2).version)
    wrong_day = post(client, path(dosed_day1, part=2), {**second, "ec_date": "2026-03-02"})
    assert "the day after the visit" in text(wrong_day)
    unsplit = form(version=str(one.version), reason="not split after all")
    refused = post(client, path(dosed_day1), unsplit)
    assert refused.status_code == 422
    assert "The second half already has administration data" in text(refused)


def test_an_unsplit_dose_removes_the_empty_second_half(client, auth, users, dosed_day1):
    auth.login("inv.user")
    assert post(client, path(dosed_day1), form(split="y", given_dose="465")).status_code == 302
    version = dose_row(1).version
    unsplit = post(client, path(dosed_day1), form(version=str(version), reason="given whole"))
    assert unsplit.status_code == 302, text(unsplit)
    assert dose_row(1).planned_dose == 930
    assert dose_row(2) is None
    removed = db.session.scalar(select(DoseAdministration).where(DoseAdministration.part == 2))
    assert removed.delete_reason == "given whole"
    assert client.get(path(dosed_day1, part=2)).status_code == 404


def test_screening_weight_is_the_reference_without_a_day1_weight(client, auth, users, subject):
    inv = users["investigator"]
    weigh(inv, subject, "0", "60.0", on=date(2026, 3, 1))
    weigh(inv, subject, "2", "58.0")
    auth.login("inv.user")
    html = text(client.get(path(subject, "2")))
    assert "60 kg × 16 mg/kg = 960 mg → rounded to 960 mg" in html
    assert "Reference weight 60 kg (Screening), this visit 58 kg (−3.3 %, within 10 %)." in html


def test_an_irr_recorded_at_dose_1_changes_the_infusion_plan_of_later_doses(
    client, auth, users, dosed_day1
):
    from studyapp.safety import events

    auth.login("inv.user")
    assert post(client, path(dosed_day1, "1"), form("1")).status_code == 302
    weigh(users["investigator"], dosed_day1, "3", "58.0")
    plan = "Infusion plan: 500 mL, start at %s mL/h"
    assert plan % 100 in text(client.get(path(dosed_day1, "3")))  # no IRR: later start rate
    with acting_as(users["investigator"]), transaction():
        events.add(
            users["investigator"],
            dosed_day1.id,
            events.AeEntry(
                aeterm="Chills during the first infusion",
                ctcae_term="Infusion related reaction",
                start_date=DAY1.isoformat(),
                end_date=DAY1.isoformat(),
                ongoing=False,
                grade=2,
                serious=False,
                criteria=frozenset(),
                aware_at=None,
                relatedness="probably",
                expected=None,
                aeacn="DRUG INTERRUPTED",
                aeout="RECOVERED/RESOLVED",
                treatment=None,
                irr=True,
                dose_id=dose_row().id,
            ),
        )
    assert plan % 50 in text(client.get(path(dosed_day1, "3")))  # after an IRR: 50 mL/h again


def test_a_weight_change_of_the_threshold_warns_before_saving(client, auth, users, dosed_day1):
    """Issue 15: 58.3 kg at Dose 1; +10 % or more at Dose 2 asks to confirm, on the page as the
    weight is typed and on saving (without JavaScript), saying whether the dose is re-based."""
    auth.login("inv.user")
    vitals_path = f"/subjects/{dosed_day1.id}/visits/2/vitals"
    check = f"{vitals_path}/weight-check"
    rebased = "the dose will be re-based on the new weight"
    assert rebased in client.get(check, query_string={"weight": "65"}).json["message"]
    at_threshold = client.get(check, query_string={"weight": "64.13"}).json["message"]  # +10 %
    assert "+10 % from the reference weight (58.3 kg, Dose 1)" in at_threshold
    assert "re-based only on a change of more than 10 %" in at_threshold
    assert client.get(check, query_string={"weight": "64.12"}).json["message"] == ""
    typo = client.get(check, query_string={"weight": "6o"})
    assert (typo.status_code, typo.json["message"]) == (
        400,
        "Weight (kg): not a number. Enter a number, e.g. 58.3.",
    )
    data = {"visit_date": VISIT_DATES["2"].isoformat(), "weight": "52.4", "action": "draft"}
    warned = post(client, vitals_path, data)  # -10.1 %
    assert warned.status_code == 422
    assert "Weight changed by -10.1 %" in text(warned)
    assert 'data-testid="confirm-box"' in text(warned)
    assert len(db.session.scalars(select(VitalSigns)).all()) == 1  # Dose 1's only
    confirmed = post(client, vitals_path, {**data, "confirm": "y"})
    assert confirmed.status_code == 302, text(confirmed)
    stored = db.session.scalars(select(VitalSigns).order_by(VitalSigns.id)).all()[-1]
    assert stored.weight == Decimal("52.4")
    assert rebased in stored.confirmed_warnings
