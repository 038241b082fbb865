"""A tiny export kind for the benchmark's smoke test (tests/integration/test_benchmarks.py).

Imported only by the benchmark (``--import tests.integration.bench_probe``): one line per
enrolled subject, read through the subjects' model like a real writer, with progress.
"""

from __future__ import annotations

from sqlalchemy import select

from studyapp.exports import registry
from studyapp.extensions import db
from studyapp.permissions import Action
from studyapp.subjects.models import Subject

KIND = "bench_probe"


def _write(ctx: registry.ExportContext, out) -> dict[str, int]:
    query = select(Subject.subject_number).where(Subject.day1_date.is_not(None))
    numbers = list(db.session.scalars(query.order_by(Subject.id)))
    for n, number in enumerate(numbers, 1):
        out.write(f"{number}\n".encode())
        ctx.progress(n, len(numbers))
    return {"subjects": len(numbers)}


def _broken(ctx: registry.ExportContext, out) -> dict[str, int]:
    raise RuntimeError("bench_broken always fails")


if KIND not in registry.EXPORTS:
    registry.register(
        registry.Export(
            kind=KIND,
            label="Benchmark probe",
            group="data",
            action=Action.EXPORT_DATA,
            suffix=".txt",
            mimetype="text/plain",
            write=_write,
        )
    )
    registry.register(
        registry.Export(
            kind="bench_broken",
            label="Benchmark probe that fails",
            group="data",
            action=Action.EXPORT_DATA,
            suffix=".txt",
            mimetype="text/plain",
            write=_broken,
        )
    )
