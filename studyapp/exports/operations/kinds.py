"""The operational reports as CSV files through the export core (``runner``): each download is
an audited export with its row count and SHA-256 (P11-05). Kinds ``enrolment``,
``visit_compliance``, ``missing_forms`` and ``form_status`` (the form status matrix, one row
per subject, visit and required form) (group "operations", study data viewers)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, BinaryIO

from flask_babel import lazy_gettext as _l

from studyapp.db import site_today
from studyapp.errors import ValidationFailed
from studyapp.exports import csvfile, registry
from studyapp.exports.operations.compliance import STATUSES, compliance
from studyapp.exports.operations.enrolment import enrolment
from studyapp.exports.operations.missing import missing_forms
from studyapp.permissions import Action
from studyapp.visits.schedule import matrix as status_matrix

ENROLMENT_HEADER = (
    "month",
    "screened",
    "enrolled",
    "screen_failed",
    "screened_cumulative",
    "enrolled_cumulative",
    "screen_failed_cumulative",
    "target",
)
COMPLIANCE_HEADER = (
    "visit_code",
    "visit_name",
    "subjects",
    *STATUSES,
    "in_window_percent",
)
MISSING_HEADER = (
    "visit_code",
    "visit_name",
    "form",
    "form_codes",
    "visits_done",
    "missing",
    "in_progress",
    "subjects_missing",
    "subjects_in_progress",
)

FORM_STATUS_HEADER = ("subject", "visit_code", "visitnum", "visit_status", "form", "state")


def as_of(ctx: registry.ExportContext) -> date:
    return ctx.cutoff or site_today()


def enrolment_rows(on: date) -> Iterator[tuple[Any, ...]]:
    report = enrolment(on)
    for m in report.months:
        yield (
            m.month,
            m.screened,
            m.enrolled,
            m.screen_failed,
            m.screened_total,
            m.enrolled_total,
            m.screen_failed_total,
            report.target,
        )


def compliance_rows(actor: Any, on: date) -> Iterator[tuple[Any, ...]]:
    report = compliance(actor, on)
    for v in report.visits:
        counts = tuple(v.counts[s] for s in STATUSES)
        yield (v.code, v.name, report.subjects, *counts, v.in_window_percent)


def missing_rows(actor: Any, on: date) -> Iterator[tuple[Any, ...]]:
    for visit in missing_forms(actor, on):
        for gap in visit.forms:
            yield (
                visit.code,
                visit.name,
                gap.label,
                " ".join(gap.codes),
                gap.done,
                len(gap.missing),
                len(gap.in_progress),
                " ".join(gap.missing),
                " ".join(gap.in_progress),
            )


def _write(header: tuple[str, ...], rows: Iterator[tuple[Any, ...]], out: BinaryIO) -> int:
    return csvfile.write(out, header, rows)


def write_enrolment(ctx: registry.ExportContext, out: BinaryIO) -> dict[str, int]:
    return {"enrolment": _write(ENROLMENT_HEADER, enrolment_rows(as_of(ctx)), out)}


def write_compliance(ctx: registry.ExportContext, out: BinaryIO) -> dict[str, int]:
    rows = compliance_rows(ctx.actor, as_of(ctx))
    return {"visit_compliance": _write(COMPLIANCE_HEADER, rows, out)}


def write_missing(ctx: registry.ExportContext, out: BinaryIO) -> dict[str, int]:
    rows = missing_rows(ctx.actor, as_of(ctx))
    return {"missing_forms": _write(MISSING_HEADER, rows, out)}


def write_form_status(ctx: registry.ExportContext, out: BinaryIO) -> dict[str, int]:
    """The form status matrix as CSV, with the filters of the page it was asked from (the
    context's options, checked by the caller), streamed a batch of subjects at a time."""
    filters = status_matrix.parse_filters(ctx.options)
    if filters is None:
        message = str(_l("The matrix has no such visit, form or state."))
        raise ValidationFailed(message, field_errors={"filters": [message]})
    rows = status_matrix.csv_rows(ctx.actor, as_of(ctx), filters)
    return {"form_status": _write(FORM_STATUS_HEADER, rows, out)}


def _kind(kind: str, label: Any, write: registry.Writer, description: Any) -> registry.Export:
    return registry.register(
        registry.Export(
            kind=kind,
            label=label,
            group="operations",
            action=Action.VIEW_STUDY_DATA,
            suffix=".csv",
            mimetype="text/csv",
            write=write,
            description=description,
        )
    )


ENROLMENT = _kind(
    "enrolment",
    _l("Enrolment over time (CSV)"),
    write_enrolment,
    _l("Subjects screened, enrolled and failing screening by month, against the target."),
)
VISIT_COMPLIANCE = _kind(
    "visit_compliance",
    _l("Visit compliance (CSV)"),
    write_compliance,
    _l("Per planned visit: done in window, out of window, missed, overdue, due, upcoming."),
)
MISSING_FORMS = _kind(
    "missing_forms",
    _l("Forms missing per visit (CSV)"),
    write_missing,
    _l("Per visit and form: done visits lacking the form or with it in progress."),
)
FORM_STATUS = _kind(
    "form_status",
    _l("Form status per subject and visit (CSV)"),
    write_form_status,
    _l("Each subject's visits with the state of every form they require."),
)
