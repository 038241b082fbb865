"""A stored row as a casebook record: its values with units (as they stood at the cut-off),
its status, the warnings the user confirmed, its signatures and its monitoring line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import inspect

from studyapp.exports.casebook.asof import AsOf
from studyapp.exports.casebook.labels import Labels
from studyapp.exports.casebook.monitoring import Monitoring, Place
from studyapp.exports.casebook.values import local_time, show
from studyapp.reports.casebook_pdf import Grid, Record, SignatureLine, Value
from studyapp.signatures.meanings import meaning_label
from studyapp.signatures.models import Signature
from studyapp.subjects.labels import CRF_STATUS

#: Columns that are bookkeeping, links or shown elsewhere (status, warnings), never as values.
HIDDEN = frozenset(
    {
        "id",
        "version",
        "created_at",
        "updated_at",
        "created_by_id",
        "updated_by_id",
        "deleted_at",
        "delete_reason",
        "subject_id",
        "visit_id",
        "panel_id",
        "assessment_id",
        "episode_id",
        "previous_id",
        "status",
        "confirmed_warnings",
        "form",
    }
)
#: Columns whose unit is held by a column of another name (else ``<column>_unit``).
SHARED_UNITS = {
    "sysbp": "bp_unit",
    "diabp": "bp_unit",
    "reference_weight": "weight_unit",
    "dosing_weight": "weight_unit",
    "planned_dose": "dose_unit",
    "given_dose": "dose_unit",
    "planned_volume": "volume_unit",
    "given_volume": "volume_unit",
    "premed_methylpred": "premed_unit",
    "premed_paracetamol": "premed_unit",
    "premed_antihistamine": "premed_unit",
    "dose": "dose_unit",
    "orres": "orresu",
    "stresn": "stresu",
    "nrlo": "stresu",
    "nrhi": "stresu",
    "rate": "rate_unit",
}


@dataclass
class Gather:
    """What every record of one casebook reads: labels, the cut-off, the signatures and
    the monitoring facts."""

    labels: Labels
    asof: AsOf
    signatures: dict[tuple[str, str], list[Signature]]
    monitoring: Monitoring


def columns(record: Any) -> list[str]:
    """The columns a record shows as values, in the table's order (units beside values)."""
    names = [attr.key for attr in inspect(record).mapper.column_attrs]
    units = {unit_column(name, names) for name in names} - {None}
    ignored: frozenset[str] = getattr(record, "__audit_ignore__", frozenset())
    return [n for n in names if n not in HIDDEN and n not in units and n not in ignored]


def unit_column(name: str, names: Sequence[str]) -> str | None:
    candidate = SHARED_UNITS.get(name, f"{name}_unit")
    return candidate if candidate in names and candidate != name else None


def values(g: Gather, record: Any, shown: Sequence[str] | None = None) -> tuple[Value, ...]:
    """Label, value and unit of each shown column of *record* at the cut-off."""
    table = record.__tablename__
    names = [attr.key for attr in inspect(record).mapper.column_attrs]
    out = []
    for name in shown if shown is not None else columns(record):
        unit = unit_column(name, names)
        out.append(
            Value(
                g.labels.of(table, name),
                show(g.asof.value(record, name), table, name),
                show(g.asof.value(record, unit)) if unit else "",
            )
        )
    return tuple(out)


def status(g: Gather, record: Any) -> str:
    """The record's status label (a row without a status is "recorded")."""
    code = g.asof.value(record, "status") if hasattr(record, "confirmed_warnings") else None
    code = code or "recorded"
    return str(CRF_STATUS.get(code, code))


def signature_lines(g: Gather, table: str, row_id: str) -> tuple[SignatureLine, ...]:
    """The manifestation of each signature of a record, in the order signed (P11-13)."""
    lines = []
    for s in g.signatures.get((table, row_id), []):
        state = g.asof.value(s, "status")
        lines.append(
            SignatureLine(
                printed_name=s.printed_name,
                role=s.role_label,
                signed_at=local_time(s.signed_at),
                meaning=meaning_label(s.meaning),
                status=_("valid") if state == "valid" else _("invalidated: no longer applies"),
            )
        )
    return tuple(lines)


def record(
    g: Gather,
    row: Any,
    title: str,
    *,
    place: Place,
    grid: Grid | None = None,
    children: Sequence[tuple[Any, str]] = (),
) -> Record:
    """A CRF row as a record: values, status, confirmed warnings, signatures and its
    monitoring line (*children*: the child rows shown in its grid, each with its name)."""
    warnings = g.asof.value(row, "confirmed_warnings") if hasattr(row, "confirmed_warnings") else ""
    return Record(
        title=title,
        status=status(g, row),
        values=values(g, row),
        grid=grid,
        confirmed_warnings=warnings or "",
        signatures=signature_lines(g, row.__tablename__, str(row.id)),
        monitoring=monitoring(g, row, place, children),
    )


def monitoring(g: Gather, row: Any, place: Place, children: Sequence[tuple[Any, str]] = ()) -> str:
    """The lock covering the record, its SDV marks (its own and its child rows') and the
    query threads of its page, as lines; empty when there is none."""
    rows = [(row.__tablename__, row.id, ""), *((c.__tablename__, c.id, n) for c, n in children)]
    return g.monitoring.line(place, row.__tablename__, rows)


def grid(g: Gather, rows: Sequence[Any], shown: Sequence[str]) -> Grid | None:
    """Child or list rows as a table: one column per shown column, units beside values."""
    kept = [row for row in rows if g.asof.keeps(row)]
    if not kept:
        return None
    table = kept[0].__tablename__
    header = tuple(g.labels.of(table, name) for name in shown)
    body = []
    for row in kept:
        cells = values(g, row, shown)
        body.append(tuple(f"{c.value} {c.unit}".strip() for c in cells))
    return Grid(header, tuple(body))


def show_value(g: Gather, row: Any, column: str) -> str:
    """One column of a row at the cut-off, as written."""
    return show(g.asof.value(row, column), row.__tablename__, column)
