"""Kind ``sdtm``: the SDTM datasets as CSV and SAS XPT v5 (pyreadstat), with define.csv.

Each domain is written subject by subject: the rows go to its CSV member as they are read, and
to a spool file on disk (``Spool``) while the widest value of each Char variable is noted. Then
the XPT file is written in chunks of ``CHUNK_ROWS`` rows: pyreadstat encodes each chunk from a
small data frame (every Char variable padded to the domain's width, so every chunk has the same
variables), and ``xpt.Splice`` joins the chunks' observations into the zip member. Memory thus
holds one chunk, not a domain nor the study; the file is the one pyreadstat writes for the
whole domain at once.
Every row gets STUDYID, DOMAIN, USUBJID, --SEQ (per subject, in the order read), its --DY
(``clinical.study_day``: no day 0, none for a partial date) and EPOCH.
"""

from __future__ import annotations

import itertools
import math
import pickle
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from flask_babel import lazy_gettext as _l

from studyapp.clinical import study_day
from studyapp.exports import csvfile, registry
from studyapp.exports.registry import Export, ExportContext, Progress
from studyapp.exports.scope import Scope
from studyapp.exports.sdtm import common, events, findings, interventions, simple, special, xpt
from studyapp.exports.sdtm.spec import MAX_CHAR, NUM, Domain
from studyapp.permissions import Action
from studyapp.protocol.loader import get_protocol

DOMAINS: tuple[Domain, ...] = (
    *special.DOMAINS,
    *events.DOMAINS,
    *interventions.DOMAINS,
    *findings.DOMAINS,
    *simple.DOMAINS,
)
DEFINE = "define.csv"
#: Rows per chunk of an XPT file: pyreadstat encodes one chunk at a time (tests pass fewer).
CHUNK_ROWS = 1_000
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


class Spool:
    """A domain's completed rows on disk, in pickled batches of *batch* rows, until its XPT
    file is written: one batch is held at a time, never the domain.

    Within a batch a text is kept once (a unit or a visit name repeated on every row is stored
    and read back as one object). The file is this process's own, in a temporary directory.
    """

    def __init__(self, path: Path, batch: int) -> None:
        self._file = path.open("w+b")
        self.batch = batch
        self._rows: list[list[Any]] = []
        self._texts: dict[str, str] = {}

    def add(self, row: list[Any]) -> None:
        self._rows.append([self._texts.setdefault(c, c) if isinstance(c, str) else c for c in row])
        if len(self._rows) == self.batch:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            pickle.dump(self._rows, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._rows, self._texts = [], {}

    def batches(self) -> Iterator[list[list[Any]]]:
        """The rows again, batch by batch, in the order added."""
        self._flush()
        self._file.seek(0)
        while True:
            try:
                yield pickle.load(self._file)  # noqa: S301 - our own spool, written above
            except EOFError:
                return

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()


class Dataset:
    """One domain being written: its CSV member, its rows spooled for the XPT file, and the
    longest value (UTF-8 bytes) of each Char variable, the width of its XPT variable."""

    def __init__(self, domain: Domain, member: BinaryIO, spool: Spool) -> None:
        self.domain = domain
        self.csv = csvfile.CsvWriter(member)
        self.csv.header(domain.names)
        self.spool = spool
        self.numeric = [v.type == NUM for v in domain.variables]
        self.lengths = [1] * len(domain.variables)

    def add(self, values: list[Any]) -> None:
        self.csv.row(values)
        row: list[Any] = []
        for index, cell in enumerate(values):
            if self.numeric[index]:
                row.append(math.nan if cell is None else float(cell))
                continue
            row.append(cell)
            self.lengths[index] = max(self.lengths[index], len(cell.encode("utf-8")))
        self.spool.add(row)


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


def padded(text: str, length: int) -> str:
    """*text* with trailing blanks up to *length* UTF-8 bytes (XPT pads Char values so, and
    readers strip them: the value is unchanged)."""
    return text + " " * (length - len(text.encode("utf-8")))


def chunk_frame(dataset: Dataset, rows: list[list[Any]]) -> Any:
    """A data frame of *rows* for pyreadstat: Num float64 (NaN for none), Char text whose first
    value is padded to the domain's width, so that every chunk has the same variable lengths."""
    import pandas as pd

    columns = list(zip(*rows, strict=True)) if rows else [()] * len(dataset.numeric)
    data = {}
    for var, cells, length in zip(dataset.domain.variables, columns, dataset.lengths, strict=True):
        if var.type == NUM:
            data[var.name] = pd.Series(cells, dtype="float64")
            continue
        texts = list(cells)
        if texts:
            texts[0] = padded(texts[0], length)
        data[var.name] = pd.Series(texts, dtype=object)
    return pd.DataFrame(data)


def encoded(dataset: Dataset, path: Path) -> Iterator[int]:
    """Write each chunk of the spooled rows to *path* (XPT v5, by pyreadstat), answering its
    row count once written; an empty domain is one chunk of no rows."""
    import pyreadstat

    domain = dataset.domain
    batches = dataset.spool.batches()
    for rows in itertools.chain([next(batches, [])], batches):
        pyreadstat.write_xport(
            chunk_frame(dataset, rows),
            str(path),
            file_label=domain.label,
            column_labels=[v.label for v in domain.variables],
            table_name=domain.code,
            file_format_version=5,
        )
        yield len(rows)


def write_xpt(archive: zipfile.ZipFile, dataset: Dataset, folder: Path) -> None:
    """The domain's XPT member, spliced from its chunks (``xpt.Splice``) as they are written."""
    path = folder / "chunk.xpt"
    chunks = encoded(dataset, path)
    first = next(chunks)
    with path.open("rb") as chunk:
        layout = xpt.read_layout(chunk)
    rows = dataset.csv.rows
    name = f"{dataset.domain.code.lower()}.xpt"
    big = layout.size(rows) > zipfile.ZIP64_LIMIT
    with archive.open(name, "w", force_zip64=big) as member:
        splice = xpt.Splice(member, layout, rows)
        for count in itertools.chain([first], chunks):
            with path.open("rb") as chunk:
                splice.append(chunk, count)
        splice.close()


def write_domain(
    archive: zipfile.ZipFile, domain: Domain, scope: Scope, ids: list[int], steps: Steps
) -> Dataset:
    with (
        tempfile.TemporaryDirectory(prefix="sdtm-") as folder,
        Spool(Path(folder) / "rows.pickle", CHUNK_ROWS) as spool,
    ):
        with archive.open(f"{domain.code.lower()}.csv", "w") as member:
            dataset = Dataset(domain, member, spool)
            for values in rows_of(domain, scope, ids, steps):
                dataset.add(values)
            dataset.csv.close()
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
            done.append(write_domain(archive, domain, scope, ids, steps))
        with archive.open(DEFINE, "w") as member:
            csvfile.write(member, DEFINE_HEADER, define_rows(done))
        steps.tick()
    return {d.domain.code: d.csv.rows for d in done}


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
