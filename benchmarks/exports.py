"""Report and export figures: time, peak memory, file size and rows per study size and kind.

python -m benchmarks.exports [--sizes 20,200,1000] [--kinds safety_report,csv,...]
                             [--database-url URL] [--import MODULE] [--tracemalloc]
                             [--timeout SECONDS]

For each size the synthetic study (benchmarks/synthetic_study.py, cached) is made ready, then
each kind registered in ``studyapp.exports.registry.EXPORTS`` (after the catalogue is loaded,
plus those of ``--import``) is produced by ``studyapp.exports.runner.produce`` in a fresh
Python process, so that its peak memory is its own. The clock is frozen at the study's "today",
the actor is the first account whose role may make the kind (one that views the audit trail
first), a kind that needs a subject gets
the first enrolled one, any other covers the whole study; the export's audit row is rolled back,
so the cached study stays as built. It prints a table and asserts nothing.

Memory: ``rss MB`` is the child's peak resident set (``VmHWM`` of ``/proc/self/status`` on
Linux, else ``getrusage(RUSAGE_SELF).ru_maxrss``: the interpreter, the app and the export).
Linux carries ``ru_maxrss`` over from the parent through fork and exec, so after the parent
built a large study in the same run every child would start at the parent's peak and hide what
its export adds; ``VmHWM`` belongs to the child's own memory. ``+rss MB`` is how much that
peak rose during the export (peak after minus peak before ``produce``), the part an export
adds. ``--tracemalloc`` adds the
peak of Python allocations during ``produce`` (tracing slows the export: its time is then not
comparable).
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import subprocess
import sys
import tempfile
import time as clock
import tracemalloc
from datetime import UTC, date, datetime, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from benchmarks import synthetic_study as study
from studyapp.auth.models import User
from studyapp.db import freeze_clock, site_zone
from studyapp.exports import registry
from studyapp.extensions import db
from studyapp.permissions import Action, can
from studyapp.subjects.models import Subject

ROOT = Path(__file__).resolve().parent.parent
MARK = "RESULT "
HEADER = (
    f"{'size':>6}  {'kind':<16} {'scope':<8} {'seconds':>8} {'rss MB':>8} {'+rss MB':>8} "
    f"{'heap MB':>8} {'file MB':>9} {'rows':>9}"
)


def kinds(url: str, anchors: str, modules: list[str]) -> list[str]:
    """The kinds registered once the app (and so the catalogue) and *modules* are loaded."""
    app = study.make_app(url, anchors)
    with app.app_context():
        for name in modules:
            importlib.import_module(name)
        return list(registry.EXPORTS)


def measure(
    built: study.Built, kind: str, modules: list[str], *, trace: bool, timeout: float | None
) -> dict:
    """Produce *kind* in a fresh process; its figures."""
    command = [sys.executable, "-m", "benchmarks.exports", "--one", kind, "--url", built.url]
    command += ["--anchors", built.anchors, "--today", built.today]
    for name in modules:
        command += ["--import", name]
    if trace:
        command.append("--tracemalloc")
    try:
        answer = subprocess.run(  # noqa: S603 - this interpreter on this module, our arguments
            command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"kind": kind, "error": f"stopped after {timeout:.0f} s (--timeout)"}
    for line in reversed(answer.stdout.splitlines()):
        if line.startswith(MARK):
            return json.loads(line[len(MARK) :])
    tail = (answer.stderr or answer.stdout).strip().splitlines()[-3:]
    return {"kind": kind, "error": " | ".join(tail) or f"exit {answer.returncode}"}


def row(size: int, figures: dict) -> str:
    if "error" in figures:
        return f"{size:>6}  {figures['kind']:<16} FAILED: {figures['error']}"
    heap = figures.get("heap_mb")
    return (
        f"{size:>6}  {figures['kind']:<16} {figures['scope']:<8} {figures['seconds']:>8.3f} "
        f"{figures['rss_mb']:>8.1f} {figures['rss_added_mb']:>8.1f} "
        f"{'-' if heap is None else f'{heap:.1f}':>8} {figures['bytes'] / 1e6:>9.2f} "
        f"{figures['rows']:>9}"
    )


STATUS = Path("/proc/self/status")


def _maxrss_mb() -> float:
    """This process's own peak resident set, in MB (see the module's note on memory)."""
    if STATUS.exists():
        for line in STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _actor(export: registry.Export) -> User:
    """The first account that may make the kind, one that also sees the audit trail first
    (a monitor's casebook carries the subject's audit trail, the costliest part)."""
    users = [u for u in db.session.scalars(select(User).order_by(User.id)) if can(u, export.action)]
    return next((u for u in users if can(u, Action.VIEW_AUDIT)), users[0])


def _subject_id(export: registry.Export) -> int | None:
    if export.subject != "required":
        return None
    query = select(Subject.id).where(Subject.day1_date.is_not(None)).order_by(Subject.id)
    return db.session.scalars(query).first()


def produce_one(kind: str, *, trace: bool) -> dict:
    """Run the export in this process (the app context is open); its figures."""
    from studyapp.exports.runner import produce

    export = registry.EXPORTS[kind]
    ctx = registry.ExportContext(actor=_actor(export), subject_id=_subject_id(export))
    with tempfile.TemporaryDirectory(prefix="studyapp-bench-export-") as tmp:
        out = Path(tmp) / f"{kind}{export.suffix}"
        before = _maxrss_mb()
        if trace:
            tracemalloc.start()
        start = clock.perf_counter()
        result = produce(kind, ctx, out)
        seconds = clock.perf_counter() - start
        heap = tracemalloc.get_traced_memory()[1] / 1e6 if trace else None
        tracemalloc.stop()
        db.session.rollback()  # the export's audit row: the cached study stays as built
    after = _maxrss_mb()
    return {
        "kind": kind,
        "scope": "subject" if ctx.subject_id else "study",
        "seconds": round(seconds, 3),
        "rss_mb": round(after, 1),
        "rss_added_mb": round(after - before, 1),
        "heap_mb": None if heap is None else round(heap, 1),
        "bytes": result.size,
        "rows": sum(result.rows.values()),
        "rows_by_dataset": result.rows,
    }


def child(args: argparse.Namespace) -> None:
    app = study.make_app(args.url, args.anchors)
    with app.app_context():
        for name in args.imports:
            importlib.import_module(name)
        today = date.fromisoformat(args.today)
        freeze_clock(datetime.combine(today, time(18, 0), site_zone()).astimezone(UTC))
        try:
            figures = produce_one(args.one, trace=args.tracemalloc)
        finally:
            freeze_clock(None)
    print(MARK + json.dumps(figures), flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=study.sizes, default=list(study.SIZES))
    parser.add_argument("--kinds", type=lambda s: [k for k in s.split(",") if k], default=None)
    parser.add_argument("--database-url", help="PostgreSQL; {size} is replaced by the size")
    parser.add_argument(
        "--import", dest="imports", action="append", default=[], help="a module registering kinds"
    )
    parser.add_argument("--tracemalloc", action="store_true", help="also the Python heap peak")
    parser.add_argument(
        "--timeout", type=float, default=3600, help="seconds one export may take (default 3600)"
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child: one kind
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--anchors", help=argparse.SUPPRESS)
    parser.add_argument("--today", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.one:
        child(args)
        return 0
    print(f"cache: {study.CACHE}; one fresh process per export; memory in MB (see --help)")
    print(HEADER, flush=True)
    failed = 0
    for size in args.sizes:
        built = study.ensure(size, args.database_url)
        registered = kinds(built.url, built.anchors, args.imports)
        chosen = [k for k in registered if args.kinds is None or k in args.kinds]
        unknown = sorted(set(args.kinds or ()) - set(registered))
        if unknown:
            print(f"{size:>6}  not registered: {', '.join(unknown)}")
        if not chosen:
            print(f"{size:>6}  no export kind registered")
        for kind in chosen:
            figures = measure(
                built, kind, args.imports, trace=args.tracemalloc, timeout=args.timeout
            )
            failed += "error" in figures
            print(row(size, figures), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
