"""The adverse event form's edit checks: term, dates, grade, seriousness, codes, IRR, text.

An AE is coded to a CTCAE v5.0 term of the shipped list (``safety.ctcae``) and graded 1-5
where the term has that grade. Onset and end dates are partial ISO 8601 as entered. A serious
AE needs at least one ICH E2A criterion and the time the site became aware (the SAE clock).
An infusion-related reaction names the dose it followed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _

from studyapp import codelists
from studyapp.clinical import adverse, partial_dates
from studyapp.crf.checks import EditChecks, common_precision, partial_date
from studyapp.db import site_zone, utcnow
from studyapp.errors import ValidationFailed
from studyapp.extensions import db
from studyapp.privacy import check_free_text
from studyapp.protocol.loader import get_protocol
from studyapp.safety import ctcae
from studyapp.safety.models import ACTIONS, CRITERIA, OUTCOMES
from studyapp.subjects.models import Subject
from studyapp.visits.models import DoseAdministration

FREE_TEXT = ("aeterm", "treatment")
ONGOING_OUTCOMES, ENDED_OUTCOMES = codelists.ONGOING_OUTCOMES, codelists.ENDED_OUTCOMES


@dataclass(frozen=True)
class AeEntry:
    aeterm: str | None
    ctcae_term: str | None
    start_date: str | None
    end_date: str | None
    ongoing: bool
    grade: int | None
    serious: bool | None
    criteria: frozenset[str]
    aware_at: datetime | None
    relatedness: str | None
    expected: bool | None
    aeacn: str | None
    aeout: str | None
    treatment: str | None
    irr: bool
    dose_id: int | None


def latest_day(text: str) -> date:
    """The last calendar date a partial date can be: 2026 -> 2026-12-31, 2026-02 -> 02-28."""
    return partial_dates.latest(text)


# --- edit checks --------------------------------------------------------------------------


def check_entry(
    entry: AeEntry,
    subject: Subject,
    checks: EditChecks,
    *,
    continuing: bool = False,
    superseded: bool = False,
) -> ctcae.Term | None:
    """The findings of the AE form; returns the CTCAE term chosen (None: none or unknown).

    *continuing*: a grade-change record (its episode began earlier); *superseded*: a record
    a grade change ended (its end date is the change, its outcome is the event's then)."""
    term = _check_term(entry, checks)
    start = partial_date(checks, "start_date", entry.start_date)
    end = partial_date(checks, "end_date", entry.end_date)
    checks.required("start_date", entry.start_date)
    _check_period(entry, start, end, checks, superseded)
    _check_grade(entry, term, checks)
    _check_serious(entry, checks, continuing)
    _check_codes(entry, checks)
    _check_irr(entry, subject, term, checks)
    _check_text(entry, checks)
    return term


def _check_term(entry: AeEntry, checks: EditChecks) -> ctcae.Term | None:
    if not entry.aeterm:
        checks.error("aeterm", _("Give the adverse event as the investigator describes it."))
    if entry.ctcae_term is None:
        checks.required("ctcae_term", None)
        return None
    term = ctcae.load().find(entry.ctcae_term)
    if term is None:
        checks.error("ctcae_term", _("Choose a CTCAE v5.0 term from the list."))
    return term


def _check_period(
    entry: AeEntry,
    start: tuple[int, int | None, int | None] | None,
    end: tuple[int, int | None, int | None] | None,
    checks: EditChecks,
    superseded: bool = False,
) -> None:
    if entry.ongoing and entry.end_date is not None:
        checks.error("end_date", _("An ongoing event has no end date: clear one of them."))
    elif checks.completing and not entry.ongoing and entry.end_date is None:
        checks.error("end_date", _("Give the end date, or tick Ongoing."))
    if start is not None and end is not None:
        first, last = common_precision(start, end)
        if last < first:
            checks.error("end_date", _("The end date is before the onset date."))
    if entry.aeout is None:
        return
    if entry.ongoing and entry.aeout not in ONGOING_OUTCOMES:
        checks.error("aeout", _("An ongoing event is recovering, not recovered or unknown."))
    elif entry.end_date is not None and not superseded and entry.aeout not in ENDED_OUTCOMES:
        checks.error(
            "aeout",
            _("An event with an end date is recovered (with or without sequelae) or fatal."),
        )


def _check_grade(entry: AeEntry, term: ctcae.Term | None, checks: EditChecks) -> None:
    checks.required("grade", entry.grade)
    grade = entry.grade
    if grade is None:
        return
    if not 1 <= grade <= 5:
        checks.error("grade", _("The CTCAE grade is 1 to 5."))
        return
    if term is not None and grade not in term.allowed_grades():
        checks.error(
            "grade",
            _(
                "%(term)s has no grade %(g)d in CTCAE v5.0 (grades %(allowed)s).",
                term=term.term,
                g=grade,
                allowed=", ".join(str(g) for g in term.allowed_grades()),
            ),
        )
    fatal = entry.aeout == codelists.FATAL
    if (grade == 5) != fatal and entry.aeout is not None:
        checks.error("aeout", _("Grade 5 means death: the outcome is fatal, and only then."))
    if grade == 5 and codelists.DEATH_CRITERION not in entry.criteria:
        checks.error("serious", _("A fatal event is serious: tick 'results in death'."))


def _check_serious(entry: AeEntry, checks: EditChecks, continuing: bool) -> None:
    """Criteria go with seriousness; the awareness time starts the clock (not before onset,
    except for a grade-change record, whose episode began earlier)."""
    _check_criteria(entry, checks)
    if entry.serious:
        _check_awareness(entry, checks, continuing)
    elif entry.aware_at is not None:
        checks.error("aware_date", _("Only a serious event has an awareness time."))


def _check_criteria(entry: AeEntry, checks: EditChecks) -> None:
    checks.required("serious", entry.serious)
    if entry.criteria - set(CRITERIA):
        checks.error("serious", _("Choose seriousness criteria from the list."))
    if entry.serious and not entry.criteria:
        checks.error("serious", _("A serious adverse event meets at least one criterion: tick it."))
    if entry.serious is False and entry.criteria:
        checks.error(
            "serious",
            _("Seriousness criteria are ticked: answer Yes to serious, or clear the criteria."),
        )


def _check_awareness(entry: AeEntry, checks: EditChecks, continuing: bool) -> None:
    aware = entry.aware_at
    if aware is None:
        checks.error(
            "aware_date", _("Give the date and time the site learnt of the serious event.")
        )
    elif aware > utcnow():
        checks.error("aware_date", _("The awareness time cannot be in the future."))
    elif (
        not continuing
        and entry.start_date
        and _valid(entry.start_date)
        and aware.astimezone(site_zone()).date() < partial_dates.earliest(entry.start_date)
    ):
        checks.error("aware_date", _("The site cannot learn of the event before its onset."))
    if entry.relatedness and entry.expected is None and _related(entry.relatedness):
        checks.error(
            "expected",
            _("Say whether this related serious event is expected (reference safety information)."),
        )


def _valid(text: str) -> bool:
    try:
        partial_dates.parse(text)
    except ValueError:
        return False
    return True


def _related(relatedness: str) -> bool:
    rule = get_protocol().safety
    return relatedness in rule.relatedness and adverse.is_related(relatedness, rule)


def _check_codes(entry: AeEntry, checks: EditChecks) -> None:
    rule = get_protocol().safety
    for field, value, allowed in (
        ("relatedness", entry.relatedness, rule.relatedness),
        ("aeacn", entry.aeacn, ACTIONS),
        ("aeout", entry.aeout, OUTCOMES),
    ):
        checks.required(field, value)
        if value is not None and value not in allowed:
            checks.error(field, _("Choose from the list."))


def _check_irr(
    entry: AeEntry, subject: Subject, term: ctcae.Term | None, checks: EditChecks
) -> DoseAdministration | None:
    """An infusion-related reaction names its infusion; onset on or after it."""
    if not entry.irr:
        if entry.dose_id is not None:
            checks.error("dose_id", _("Only an infusion-related reaction names an infusion."))
        return None
    if entry.dose_id is None:
        checks.error("dose_id", _("Choose the infusion the reaction followed."))
        return None
    dose = db.session.get(DoseAdministration, entry.dose_id)
    if dose is None or dose.subject_id != subject.id or dose.is_deleted:
        checks.error("dose_id", _("Choose the infusion the reaction followed."))
        return None
    if dose.ec_date and entry.start_date and _valid(entry.start_date):
        if latest_day(entry.start_date) < dose.ec_date:
            checks.error("start_date", _("The reaction cannot start before the infusion."))
        elif (partial_dates.earliest(entry.start_date) - dose.ec_date).days > 1:
            checks.warn(
                "start_date",
                _(
                    "Onset more than a day after the infusion of %(d)s: nearly all infusion "
                    "reactions start within 4 hours. Check the date or the infusion.",
                    d=dose.ec_date.isoformat(),
                ),
            )
    if term is not None and term.term not in get_protocol().dlt.irr_terms:
        checks.warn(
            "ctcae_term",
            _("An infusion-related reaction is usually coded 'Infusion related reaction'."),
        )
    return dose


def _check_text(entry: AeEntry, checks: EditChecks) -> None:
    try:
        check_free_text({name: getattr(entry, name) for name in FREE_TEXT})
    except ValidationFailed as exc:
        for field, messages in exc.field_errors.items():
            for message in messages:
                checks.error(field, message)
