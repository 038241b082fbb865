"""The safety overview: episodes (an event and its grade changes), worst grades by subject and
term, and the filters (studyapp.safety.overview)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from studyapp.audit import acting_as
from studyapp.db import freeze_clock
from studyapp.errors import PermissionDenied
from studyapp.safety import events
from studyapp.safety.overview import Filters, TermTally, episodes, overview
from studyapp.transaction import transaction
from tests import factories

NOT_RELATED = {"relatedness": "unlikely"}
GI = "Gastrointestinal disorders"


def change_grade(inv, record, grade, on):
    with acting_as(inv), transaction():
        return events.change_grade(
            inv, record.subject_id, record.id, grade=grade, on=on, version=record.version
        )


@pytest.fixture
def inv(users):
    return users["investigator"]


@pytest.fixture
def study(app, inv):
    """Subject A (Day 1 2 March) and B (Day 1 9 March) with their AEs, seen on 1 April.

    A: diarrhoea grade 2 -> 4 -> 1 (not related); a related grade 3 headache (a DLT
       candidate); a related grade 2 infusion reaction; a grade 3 fever, removed.
    B: diarrhoea grade 1 (not related); a serious grade 3 lung infection (not related).
    """
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    a = factories.make_enrolled(inv, date(2026, 3, 2), screened=date(2026, 3, 1))
    freeze_clock(datetime(2026, 3, 8, 1, 0, tzinfo=UTC))
    b = factories.make_enrolled(inv, date(2026, 3, 9), screened=date(2026, 3, 8))
    freeze_clock(datetime(2026, 4, 1, 2, 0, tzinfo=UTC))
    diarrhoea = {"aeterm": "diarrhoea", "ctcae_term": "Diarrhea", **NOT_RELATED}
    first = factories.record_ae(inv, a, **diarrhoea, grade=2, start_date="2026-03-10")
    worse = change_grade(inv, first, 4, date(2026, 3, 12))
    better = change_grade(inv, worse, 1, date(2026, 3, 15))
    headache = factories.record_ae(inv, a, grade=3, start_date="2026-03-11")
    dose = factories.give_dose(inv, a, "1", date(2026, 3, 2))
    irr = factories.record_ae(
        inv,
        a,
        aeterm="flushing",
        ctcae_term="Infusion related reaction",
        grade=2,
        irr=True,
        dose_id=dose.id,
        start_date="2026-03-02",
    )
    fever = factories.record_ae(inv, a, aeterm="fever", ctcae_term="Fever", grade=3)
    with acting_as(inv), transaction():
        events.remove(inv, a.id, fever.id, "entered for the wrong subject", version=fever.version)
    factories.record_ae(inv, b, **diarrhoea, grade=1, start_date="2026-03-20")
    pneumonia = factories.record_ae(
        inv,
        b,
        aeterm="pneumonia",
        ctcae_term="Lung infection",
        grade=3,
        start_date="2026-03-25",
        serious=True,
        criteria={"aeshosp"},
        aware_at=datetime(2026, 3, 25, 6, 0, tzinfo=UTC),
        **NOT_RELATED,
    )
    return {
        "a": a,
        "b": b,
        "diarrhoea": [first, worse, better],
        "headache": headache,
        "irr": irr,
        "pneumonia": pneumonia,
    }


def terms(view) -> list[tuple[str, str]]:
    return [(e.subject.label, e.first.term) for e in view.episodes]


def test_an_event_with_grade_changes_is_one_episode_at_its_worst_grade(study, inv):
    view = overview(inv)
    (episode,) = [e for e in view.episodes if e.first.id == study["diarrhoea"][0].id]
    assert [r.id for r in episode.records] == [r.id for r in study["diarrhoea"]]
    assert (episode.grades, episode.worst, episode.last.grade) == ([2, 4, 1], 4, 1)
    assert len(view.episodes) == 5


def test_by_term_counts_subjects_at_their_worst_grade(study, inv):
    rows = {row.term: row for row in overview(inv).by_term}
    assert set(rows) == {"Diarrhea", "Headache", "Infusion related reaction", "Lung infection"}
    diarrhoea = rows["Diarrhea"]
    assert (diarrhoea.soc, diarrhoea.subjects, diarrhoea.episodes) == (GI, 2, 2)
    assert diarrhoea.by_grade == {1: 1, 2: 0, 3: 0, 4: 1, 5: 0}  # A at 4 (not 1), B at 1
    assert rows["Headache"].by_grade == {1: 0, 2: 0, 3: 1, 4: 0, 5: 0}
    assert (rows["Lung infection"].subjects, rows["Lung infection"].by_grade[3]) == (1, 1)


def test_by_term_counts_added_subject_by_subject_equal_those_of_all_at_once(study, inv):
    tally = TermTally()
    for subject in (study["a"], study["b"]):
        tally.add(episodes(subject.id))
    assert tally.rows() == overview(inv).by_term
    assert len(tally.rows()) == 4


def test_subjects_are_counted_once_at_their_worst_grade(study, inv):
    view = overview(inv)
    assert view.subjects_by_grade == {1: 0, 2: 0, 3: 1, 4: 1, 5: 0}
    rows = {row.subject.id: row for row in view.by_subject}
    a, b = rows[study["a"].id], rows[study["b"].id]
    assert (a.episodes, a.worst, a.serious, a.dlts, a.irrs) == (3, 4, 0, 0, 1)
    assert (b.episodes, b.worst, b.serious, b.dlts, b.irrs) == (2, 3, 1, 0, 0)


def test_removed_aes_are_not_counted(study, inv):
    view = overview(inv)
    assert "Fever" not in terms(view)
    assert "Fever" not in {row.term for row in view.by_term}
    assert "General disorders and administration site conditions" not in view.socs


@pytest.mark.parametrize(
    ("filters", "kept"),
    [
        pytest.param(
            Filters(min_grade=3),
            {("a", "Diarrhea"), ("a", "Headache"), ("b", "Lung infection")},
            id="min-grade",
        ),
        pytest.param(Filters(min_grade=5), set(), id="min-grade-5"),
        pytest.param(Filters(serious=True), {("b", "Lung infection")}, id="serious"),
        pytest.param(Filters(irr=True), {("a", "Infusion related reaction")}, id="irr"),
        pytest.param(Filters(dlt=True), {("a", "Headache")}, id="dlt"),
        pytest.param(Filters(soc=GI), {("a", "Diarrhea"), ("b", "Diarrhea")}, id="soc"),
        pytest.param(Filters(term="diarrhea"), {("a", "Diarrhea"), ("b", "Diarrhea")}, id="term"),
        pytest.param(
            Filters(related=True),
            {("a", "Headache"), ("a", "Infusion related reaction")},
            id="related",
        ),
        pytest.param(Filters(soc=GI, min_grade=2), {("a", "Diarrhea")}, id="soc-and-min-grade"),
    ],
)
def test_filters_keep_only_matching_episodes(study, inv, filters, kept):
    labels = {study["a"].label: "a", study["b"].label: "b"}
    view = overview(inv, filters)
    assert {(labels[s], term) for s, term in terms(view)} == kept


def test_the_subject_filter_keeps_that_subjects_episodes(study, inv):
    view = overview(inv, Filters(subject_id=study["b"].id))
    assert {e.first.term for e in view.episodes} == {"Diarrhea", "Lung infection"}
    assert view.subjects_by_grade == {1: 0, 2: 0, 3: 1, 4: 0, 5: 0}
    assert {row.term: row.by_grade[1] for row in view.by_term}["Diarrhea"] == 1
    assert len(view.socs) == 4  # the SOC choices still list every SOC with an event


def test_counts_follow_the_filters(study, inv):
    view = overview(inv, Filters(related=True))
    assert view.subjects_by_grade == {1: 0, 2: 0, 3: 1, 4: 0, 5: 0}
    assert [row.subject.id for row in view.by_subject] == [study["a"].id]


def test_a_confirmed_dlt_is_counted_per_subject(study, inv):
    headache = study["headache"]
    with acting_as(inv), transaction():
        events.decide_dlt(
            inv,
            headache.subject_id,
            headache.id,
            decision="confirmed",
            reason="no other cause",
            version=headache.version,
        )
    view = overview(inv)
    rows = {row.subject.id: row for row in view.by_subject}
    assert rows[study["a"].id].dlts == 1
    assert [e.dlt for e in view.dlts] == ["confirmed"]


def test_a_rejected_candidate_leaves_the_dlt_list(study, inv):
    headache = study["headache"]
    with acting_as(inv), transaction():
        events.decide_dlt(
            inv,
            headache.subject_id,
            headache.id,
            decision="rejected",
            reason="tension headache",
            version=headache.version,
        )
    assert overview(inv, Filters(dlt=True)).episodes == []


def test_the_monitor_and_data_manager_read_the_overview_and_the_coordinator_too(study, users):
    """Every role that reads study data reads the overview; only the investigator records."""
    for role in ("monitor", "data_manager", "coordinator"):
        assert len(overview(users[role]).episodes) == 5
    users["coordinator"].active = False
    with pytest.raises(PermissionDenied):
        overview(users["coordinator"])
