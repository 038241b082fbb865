"""Enrolment and disposition, and the safety run-in with its DLT review, at the cut-off.

Phases come from ``subjects.queries.phase`` (the dashboard's), applied to each subject as it
stood at the cut-off; withdrawal reasons are the DSDECOD codelist's labels. The run-in is
``subjects.runin.gate`` on the cut-off day (the gate the enrolment page shows).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from flask_babel import gettext as _

from studyapp import codelists
from studyapp.extensions import db
from studyapp.reports.safety_pdf import Block, Para, Section, Table
from studyapp.signatures.models import Signature
from studyapp.subjects import runin
from studyapp.subjects.labels import label
from studyapp.subjects.queries import phase

from .cutoff import Cut, SubjectAt, day_text, local_time, percent, subjects_at


def disposition_rows(subjects: Iterable[SubjectAt], cut: Cut) -> tuple[tuple[str, ...], ...]:
    """Screened, screen failed, enrolled and where the enrolled are, with the reasons for
    leaving early (DSDECOD); percentages of the enrolled. One pass over *subjects*."""
    count: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    screened = enrolled = 0
    for s in subjects:
        screened += 1
        enrolled += s.enrolled
        count[phase(s, cut.day)] += 1  # type: ignore[arg-type]
        if s.disposition and s.disposition != codelists.COMPLETED:
            reasons[s.disposition] += 1
    rows: list[tuple[str, ...]] = [
        (_("Screened"), str(screened)),
        (_("In screening"), str(count["screening"])),
        (_("Screen failed"), str(count["screen_failed"])),
        (_("Enrolled"), str(enrolled)),
    ]
    for key in ("enrolled", "in_treatment", "in_follow_up", "completed", "discontinued"):
        name = _("Enrolled, not yet dosed") if key == "enrolled" else label("status", key)
        rows.append((name, percent(count[key], enrolled)))
    for code in codelists.DISPOSITION.codes:
        if code != codelists.COMPLETED:
            text = str(codelists.DISPOSITION.labels[code])
            rows.append((f"- {text} ({code})", percent(reasons[code], enrolled)))
    return tuple(rows)


def _disposition_blocks(cut: Cut, tally: dict[str, int]) -> Iterator[Block]:
    rows = disposition_rows(_counted(subjects_at(cut), tally), cut)
    yield Table((_("Subjects"), _("n (percent of enrolled)")), rows, (3, 1))
    yield Para(
        _("Phases as on the cut-off date; withdrawal reasons are CDISC DSDECOD values."), "note"
    )


def _counted(subjects: Iterable[SubjectAt], tally: dict[str, int]) -> Iterator[SubjectAt]:
    for s in subjects:
        tally["subjects"] += 1
        yield s


def disposition_section(cut: Cut, tally: dict[str, int]) -> Section:
    """Read when laid out: one pass over the subjects, counted in ``tally["subjects"]``."""
    return Section(_("Enrolment and disposition"), _disposition_blocks(cut, tally))


def _events(events: tuple[runin.DltEvent, ...], known: set[int]) -> str:
    """The DLT events among the AE records dated on or before the cut-off (*known*)."""
    return ", ".join(f"{e.label} {e.term}" for e in events if e.id in known)


def _member_row(member: runin.RunInSubject, reviewed: bool, known: set[int]) -> tuple[str, ...]:
    finding = "" if not reviewed else (_("Yes") if member.dlt else _("No"))
    return (
        member.subject.label,
        day_text(member.subject.day1_date),
        day_text(member.window_end),
        _events(member.confirmed, known),
        _events(member.candidates, known),
        finding or _("not reviewed"),
    )


def _review_blocks(review: Any, cut: Cut) -> list[Block]:
    if review is None:
        return [Para(_("No DLT review has been signed."), "body")]
    signature = db.session.get(Signature, review.signature_id) if review.signature_id else None
    signed = f"{signature.printed_name}, {local_time(signature.signed_at)}" if signature else ""
    rows = (
        (_("Run-in subjects reviewed"), str(review.cohort_size)),
        (_("Subjects with a DLT"), str(review.dlt_count)),
        (_("The protocol's stop rule"), label("rule", review.rule_outcome)),
        (_("Decision"), label("decision", review.decision)),
        (_("Comments"), review.comments or ""),
        (_("Signed by"), signed),
    )
    blocks: list[Block] = [Table((_("DLT review"), ""), rows, (1, 2))]
    if signature and not cut.moment(signature.signed_at):
        blocks.append(Para(_("This review was signed after the data cut-off."), "note"))
    return blocks


def runin_section(cut: Cut, known: set[int]) -> Section:
    """The run-in gate on the cut-off day: its state, the cohort and the signed review;
    *known* are the ids of the AE records dated on or before the cut-off."""
    state = runin.gate(cut.day)
    header = (
        _("Subject"),
        _("Day 1"),
        _("DLT window ends"),
        _("Confirmed DLTs"),
        _("Candidate DLTs (undecided)"),
        _("DLT in the review"),
    )
    members = [m for m in state.subjects if cut.dated(m.subject.day1_date)]
    rows = tuple(_member_row(m, state.review is not None, known) for m in members)
    blocks: list[Block] = [
        Para(_("Run-in gate: %(s)s.", s=label("gate", state.state)), "body"),
        Para(state.message, "note"),
        Para(
            _("Cohort: %(n)d of %(size)d subjects.", n=len(members), size=state.cohort_size),
            "body",
        ),
        Table(header, rows, (1, 1, 1, 2, 2, 1), empty=_("No run-in subject has started dosing.")),
        *_review_blocks(state.review, cut),
    ]
    return Section(_("Safety run-in and DLT review"), tuple(blocks))
