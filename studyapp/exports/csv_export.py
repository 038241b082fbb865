"""Kind ``csv``: the collected data as a zip of CSV files, one per CRF table, plus
``data_dictionary.csv`` (file, variable, label, type, unit, codelist and its values), and
the monitoring tables (``monitoring/``: query messages, SDV marks, freezes and locks).

Each table is streamed from the database into its zip member (``tables.rows``), so memory
does not grow with the study. Every cell goes through the shared CSV writer (SEC-11, BOM).
"""

from __future__ import annotations

import zipfile
from typing import BinaryIO

from flask_babel import lazy_gettext as _l

from studyapp.exports import csvfile, dictionary, monitoring_tables, registry, tables
from studyapp.exports.registry import Export, ExportContext
from studyapp.exports.scope import Scope
from studyapp.permissions import Action

DICTIONARY = "data_dictionary.csv"


def write(ctx: ExportContext, out: BinaryIO) -> dict[str, int]:
    """The zip of the CSV tables and the data dictionary; answers the rows per file."""
    scope = Scope(ctx.cutoff)
    models = tables.models()
    counts: dict[str, int] = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, model in enumerate(models):
            name = f"{model.__tablename__}.csv"  # type: ignore[attr-defined]
            with archive.open(name, "w") as member:
                counts[name] = csvfile.write(
                    member, tables.header(model), tables.rows(model, scope)
                )
            ctx.progress(done + 1, len(models) + 1)
        for name, header, rows in monitoring_tables.tables_of(scope):
            with archive.open(name, "w") as member:
                counts[name] = csvfile.write(member, header, rows)
        with archive.open(DICTIONARY, "w") as member:
            counts[DICTIONARY] = csvfile.write(member, dictionary.HEADER, dictionary.rows())
        ctx.progress(len(models) + 1, len(models) + 1)
    return counts


registry.register(
    Export(
        kind="csv",
        label=_l("CSV data export"),
        group="data",
        action=Action.EXPORT_DATA,
        suffix=".zip",
        mimetype="application/zip",
        write=write,
        description=_l(
            "The collected data: one CSV file per form table with a data dictionary "
            "(UTF-8, opens in Excel)."
        ),
        subject=None,
        cutoff=True,
    )
)
