"""Two yardstick kinds for the export benchmark, registered only when asked for:

python -m benchmarks.exports --import benchmarks.reference_kinds

``bench_stream`` streams every lab result (one CSV line each, read in batches with
``yield_per``): what a streaming export costs, with memory flat as the study grows.
``bench_load_all`` reads the same rows into a list first and writes them after: what an
export that holds the study in memory costs. Neither is a study export: they are there to
read the real kinds' figures against.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import BinaryIO

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from studyapp.exports import registry
from studyapp.extensions import db
from studyapp.permissions import Action
from studyapp.subjects.models import Subject
from studyapp.visits.models import LabResult, Visit

BATCH = 1000


def _rows():
    query = (
        select(Subject.subject_number, Visit.code, LabResult.testcd, LabResult.orres)
        .join(Subject, Subject.id == LabResult.subject_id)
        .join(Visit, Visit.id == LabResult.visit_id)
        .order_by(LabResult.id)
        .execution_options(yield_per=BATCH)
    )
    return db.session.execute(query)


def _line(row) -> bytes:
    return f"{row[0]},{row[1]},{row[2]},{row[3]}\n".encode()


def _stream(ctx: registry.ExportContext, out: BinaryIO) -> dict[str, int]:
    total = db.session.scalar(select(func.count(LabResult.id))) or 0
    count = 0
    for count, row in enumerate(_rows(), 1):
        out.write(_line(row))
        if count % BATCH == 0:
            ctx.progress(count, total)
    return {"LB": count}


def _load_all(ctx: registry.ExportContext, out: BinaryIO) -> dict[str, int]:
    rows = list(_rows())
    for row in rows:
        out.write(_line(row))
    return {"LB": len(rows)}


for kind, write in (("bench_stream", _stream), ("bench_load_all", _load_all)):
    if kind not in registry.EXPORTS:
        registry.register(
            registry.Export(
                kind=kind,
                label=kind,
                group="data",
                action=Action.EXPORT_DATA,
                suffix=".csv",
                mimetype="text/csv",
                write=write,
            )
        )
