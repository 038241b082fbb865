"""One casebook section per visit: the visit itself, then each form recorded at it (vital
signs, each lab form with its results, bleeding with its items, each infusion with its rate
changes), in the order of the CRF registry (``crf.registry.visit_records``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from studyapp.crf import registry
from studyapp.exports.casebook import records
from studyapp.exports.casebook.labels import item_names, test_names
from studyapp.exports.casebook.monitoring import Place
from studyapp.exports.casebook.records import Gather
from studyapp.extensions import db
from studyapp.localized import local
from studyapp.protocol.loader import get_protocol
from studyapp.reports.casebook_pdf import Grid, Record, Section
from studyapp.visits.models import (
    BleedingAssessment,
    BleedingItem,
    DoseAdministration,
    InfusionRateStep,
    LabPanel,
    LabResult,
    Visit,
)

LAB_COLUMNS = ("orres", "stresn", "nrlo", "nrhi", "nrind", "toxgr")


def sections(g: Gather, subject_id: int) -> list[Section]:
    """The subject's visits at the cut-off, in visit order, each with its forms."""
    visits = db.session.scalars(select(Visit).where(Visit.subject_id == subject_id))
    kept = sorted((v for v in visits if g.asof.keeps(v)), key=lambda v: Decimal(v.visitnum))
    return [_section(g, visit) for visit in kept]


def _visit_name(visit: Visit) -> str:
    try:
        return local(get_protocol().visit(visit.code))
    except ValueError:
        return visit.code


def _section(g: Gather, visit: Visit) -> Section:
    name = _visit_name(visit)
    date = g.asof.value(visit, "visit_date")
    subtitle = _("Visit %(n)s, %(d)s", n=visit.visitnum, d=date.isoformat() if date else "—")
    here = Place(visit.visitnum, None, queries=False)
    out: list[Record] = [records.record(g, visit, _("Visit"), place=here)]
    for key, model in registry.visit_records():
        for row in _rows(model, key, visit):
            if g.asof.keeps(row):
                title = str(registry.form(key).label)
                grid, kids = _children(g, row)
                place = Place(visit.visitnum, key)
                out.append(records.record(g, row, title, place=place, grid=grid, children=kids))
    return Section(f"{name} ({visit.code})", tuple(out), subtitle)


def _rows(model: Any, key: str, visit: Visit) -> list[Any]:
    query = select(model).where(model.visit_id == visit.id)
    if hasattr(model, "form"):
        query = query.where(model.form == key)
    return list(db.session.scalars(query.order_by(model.id)))


Kids = list[tuple[Any, str]]


def _children(g: Gather, row: Any) -> tuple[Grid | None, Kids]:
    """The child rows of a form's record, as a table, and each kept child with its name."""
    if isinstance(row, LabPanel):
        return _lab_results(g, row)
    if isinstance(row, DoseAdministration):
        steps = _kids(InfusionRateStep, InfusionRateStep.dose_id == row.id, InfusionRateStep.seq)
        kids = [(s, f"{g.labels.of('infusion_rate_step', 'seq')} {s.seq}") for s in steps]
        kept = [(s, name) for s, name in kids if g.asof.keeps(s)]
        return records.grid(g, steps, ("seq", "at_time", "rate")), kept
    if isinstance(row, BleedingAssessment):
        return _bleeding_items(g, row)
    return None, []


def _kids(model: Any, where: Any, order: Any) -> list[Any]:
    return list(db.session.scalars(select(model).where(where).order_by(order)))


def _lab_results(g: Gather, panel: LabPanel) -> tuple[Grid | None, Kids]:
    results = _kids(LabResult, LabResult.panel_id == panel.id, LabResult.id)
    table = records.grid(g, results, LAB_COLUMNS)
    if table is None:
        return None, []
    names = test_names()
    kept = [r for r in results if g.asof.keeps(r)]
    tests = [f"{names.get(r.testcd, r.testcd)} ({r.testcd})" for r in kept]
    header = (_("Test"), *table.header)
    rows = tuple((test, *cells) for test, cells in zip(tests, table.rows, strict=True))
    return Grid(header, rows), list(zip(kept, tests, strict=True))


def _bleeding_items(g: Gather, assessment: BleedingAssessment) -> tuple[Grid | None, Kids]:
    items = _kids(BleedingItem, BleedingItem.assessment_id == assessment.id, BleedingItem.id)
    kept = [i for i in items if g.asof.keeps(i)]
    if not kept:
        return None, []
    names = item_names()
    shown = [names.get(i.item, i.item) for i in kept]
    rows = tuple((name, str(g.asof.value(i, "grade"))) for name, i in zip(shown, kept, strict=True))
    header = (_("ITP-BAT item"), g.labels.of("bleeding_item", "grade"))
    return Grid(header, rows), list(zip(kept, shown, strict=True))
