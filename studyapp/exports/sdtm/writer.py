"""Kind ``sdtm``: the SDTM datasets as CSV and SAS XPT v5 (pyreadstat), with define.csv.

Each domain is written subject by subject: the rows go to its CSV member as they are read,
and are kept as columns for the domain's XPT file, which pyreadstat writes from a data frame
once the domain is complete (so one domain at a time is held, never the whole study).
Every row gets STUDYID, DOMAIN, USUBJID, --SEQ (per subject, in the order read), its --DY
(``clinical.study_day``: no day 0, none for a partial date) and EPOCH.
"""

from __future__ import annotations

import math
import tempfile
import zipfile
from array import array
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from flask_babel import lazy_gettext as _l

from studyapp.clinical import study_day
from studyapp.exports import csvfile, registry
from studyapp.exports.registry import Export, ExportContext, Progress
from studyapp.exports.scope import Scope
from studyapp.exports.sdtm import common, events, findings, interventions, special
from studyapp.exports.sdtm.spec import MAX_CHAR, NUM, Domain
from studyapp.permissions import Action
from studyapp.protocol.loader import get_protocol

DOMAINS: tuple[Domain, ...] = (
    *special.DOMAINS,
    *events.DOMAINS,
    *interventions.DOMAINS,
    *findings.DOMAINS,
)
DEFINE = "define.csv"
DEFINE_HEADER = ("dataset", "dataset_label", "variable", "label", "type", "length")


def clip(text: str) -> str:
    """*text* cut to the 200 bytes an XPT v5 character variable holds (whole characters)."""
    data = text.encode("utf-8")
    if len(data) <= MAX_CHAR:
        return text
    return data[:MAX_CHAR].decode("utf-8", errors="ignore")


def value(kind: str, raw: Any) -> Any:
    """A cell as both files hold it: Char text (blank for none), Num a number or None."""
    if kind == NUM:
        return raw
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "Y" if raw else "N"
    if isinstance(raw, int | float | Decimal):
        return csvfile.number_text(raw)
    return clip(str(raw))


def complete(domain: Domain, ref: common.SubjectRef, row: dict[str, Any], seq: int) -> list[Any]:
    """The row's values in the domain's order, with the identifiers, --SEQ, --DY and EPOCH."""
    full = {
        "STUDYID": get_protocol().study.id,
        "DOMAIN": domain.code,
        "USUBJID": ref.usubjid,
        domain.seq_name: seq,
        **row,
    }
    for day, dtc in domain.days.items():
        full[day] = study_day.study_day(ref.rfstdtc, full.get(dtc))
    if domain.epoch_from is not None:
        dosing = get_protocol().dosing
        full["EPOCH"] = study_day.epoch(ref.rfstdtc, full.get(domain.epoch_from), dosing)
    return [value(v.type, full.get(v.name)) for v in domain.variables]


class Dataset:
    """One domain being written: its CSV member and the columns kept for the XPT file.

    The kept columns are compact: numbers in a float array, texts shared (a unit or a visit
    name repeated on every row is stored once), so a domain costs little more than its
    pointers while it waits for pyreadstat.
    """

    def __init__(self, domain: Domain, member: BinaryIO) -> None:
        self.domain = domain
        self.csv = csvfile.CsvWriter(member)
        self.csv.header(domain.names)
        self.columns: list[Any] = [array("d") if v.type == NUM else [] for v in domain.variables]
        self.lengths = [1] * len(domain.variables)
        self._texts: dict[str, str] = {}

    def add(self, values: list[Any]) -> None:
        self.csv.row(values)
        for index, cell in enumerate(values):
            column = self.columns[index]
            if isinstance(column, array):
                column.append(math.nan if cell is None else float(cell))
                continue
            column.append(self._texts.setdefault(cell, cell))
            self.lengths[index] = max(self.lengths[index], len(cell.encode("utf-8")))

    def frame(self) -> Any:
        import pandas as pd

        data = {}
        for var, cells in zip(self.domain.variables, self.columns, strict=True):
            kind = "float64" if var.type == NUM else object
            data[var.name] = pd.Series(cells, dtype=kind)
        return pd.DataFrame(data)


class Steps:
    """Progress in subjects: one step per subject of each domain, one per file written."""

    def __init__(self, progress: Progress, total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0

    def tick(self) -> None:
        self.done += 1
        self.progress(self.done, self.total)


def rows_of(domain: Domain, scope: Scope, ids: list[int], steps: Steps) -> Iterable[list[Any]]:
    for ref in common.subjects(scope, ids):
        for seq, row in enumerate(domain.read(ref), start=1):
            yield complete(domain, ref, row, seq)
        steps.tick()


def write_xpt(archive: zipfile.ZipFile, dataset: Dataset, folder: Path) -> None:
    import pyreadstat

    domain = dataset.domain
    path = folder / f"{domain.code.lower()}.xpt"
    pyreadstat.write_xport(
        dataset.frame(),
        str(path),
        file_label=domain.label,
        column_labels=[v.label for v in domain.variables],
        table_name=domain.code,
        file_format_version=5,
    )
    archive.write(path, path.name)
    path.unlink()


def write_domain(
    archive: zipfile.ZipFile, domain: Domain, scope: Scope, ids: list[int], steps: Steps
) -> Dataset:
    with archive.open(f"{domain.code.lower()}.csv", "w") as member:
        dataset = Dataset(domain, member)
        for values in rows_of(domain, scope, ids, steps):
            dataset.add(values)
        dataset.csv.close()
    with tempfile.TemporaryDirectory(prefix="sdtm-") as folder:
        write_xpt(archive, dataset, Path(folder))
    steps.tick()
    return dataset


def define_rows(datasets: list[Dataset]) -> Iterable[tuple[Any, ...]]:
    for dataset in datasets:
        domain = dataset.domain
        for var, length in zip(domain.variables, dataset.lengths, strict=True):
            size = 8 if var.type == NUM else length
            yield domain.code, domain.label, var.name, var.label, var.type, size


def write(ctx: ExportContext, out: BinaryIO) -> dict[str, int]:
    """The zip of every domain (CSV and XPT) and define.csv; answers the rows per domain."""
    scope = Scope(ctx.cutoff)
    ids = common.subject_ids(scope)
    steps = Steps(ctx.progress, len(DOMAINS) * (len(ids) + 1) + 1)
    done: list[Dataset] = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for domain in DOMAINS:
            done.append(_release(write_domain(archive, domain, scope, ids, steps)))
        with archive.open(DEFINE, "w") as member:
            csvfile.write(member, DEFINE_HEADER, define_rows(done))
        steps.tick()
    return {d.domain.code: d.csv.rows for d in done}


def _release(dataset: Dataset) -> Dataset:
    """Drop a written domain's columns: only its counts and lengths are needed further."""
    dataset.columns = []
    return dataset


registry.register(
    Export(
        kind="sdtm",
        label=_l("SDTM datasets"),
        group="data",
        action=Action.EXPORT_DATA,
        suffix=".zip",
        mimetype="application/zip",
        write=write,
        description=_l(
            "SDTM-shaped datasets (DM, IE, MH, CM, EC, EX, AE, LB, VS, SV, DS, XB) as CSV and "
            "SAS XPT v5, with define.csv."
        ),
        subject=None,
        cutoff=True,
    )
)
