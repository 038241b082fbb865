"""A synthetic study of N enrolled subjects, built through the services, cached per size.

python -m benchmarks.synthetic_study [--sizes 20,200,1000] [--database-url URL] [--rebuild]

Every step goes through the same services as the demo study (``studyapp.demo``): screening,
consent, eligibility signed, enrolment through the run-in gate, the signed DLT review, then
every planned visit up to the study's "today" (vital signs, weight, labs with the platelet
count, bleeding, the weight-based dose with its infusion rates), adverse events (a grade 1 event
for everyone, infusion reactions, grade 3 events, SAEs with their submitted initial report),
a concomitant medication, rescue IVIG and the completion of those who reached the end of study.
About one candidate in ten more fails screening. Each step runs on its own date (the clock is
frozen there) in its own transaction, in date order over the whole study, so the audit trail
is written by the session events as in real use; ``flask audit-verify`` is run at the end and
must pass. Speed-ups that keep it real: the cheapest argon2 hash (TestingConfig), and commits
that do not wait for the disk (SQLite ``synchronous = OFF``, PostgreSQL ``synchronous_commit =
off``) while building.

The database is cached outside the repository, in ``$STUDYAPP_BENCH_CACHE`` (default
``<tmp>/studyapp-bench``), one SQLite file per size and version of this generator, and reused
when present. With ``--database-url`` (a PostgreSQL URL; ``{size}`` in it is replaced by the
size) the study is built into that database, which must be empty (``--rebuild`` empties it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time as clock
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from benchmarks import synthetic_subjects as made_up
from config import TestingConfig
from studyapp import create_app
from studyapp.audit.checkpoints import anchor_now
from studyapp.audit.models import AuditLog
from studyapp.codelists import COMPLETED
from studyapp.db import freeze_clock
from studyapp.demo import visits as demo_visits
from studyapp.demo.loader import _Builder, _load_users
from studyapp.demo.visits import Step
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.safety.models import AdverseEvent
from studyapp.subjects import services
from studyapp.subjects.models import Subject
from studyapp.transaction import transaction

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(
    os.environ.get("STUDYAPP_BENCH_CACHE") or Path(tempfile.gettempdir()) / "studyapp-bench"
)
PASSWORD = "bench-password-2026"  # noqa: S105 - made-up accounts of a throw-away database
SIZES = (20, 200, 1000)
#: The study's "today" (a fixed date: the same size always gives the same study).
TODAY = date(2026, 6, 30)
SCREENING_DAYS = 14  # screened this many days before Day 1
ENROL_DAYS = 240  # the non-run-in subjects' Day 1 spread over this many days
LAST_FOLLOW_UP = 40  # the last subject's Day 1 is this many days before today
#: Raise it when the made-up study changes: the cached databases are then built again.
GENERATOR_VERSION = 1


@dataclass(frozen=True)
class Built:
    size: int
    url: str
    today: str
    seconds: float
    screened: int
    enrolled: int
    adverse_events: int
    audit_rows: int
    fingerprint: str
    anchors: str
    cached: bool = False


def fingerprint() -> str:
    """The version of the study a cache holds: this generator's, the demo code it uses, the
    protocol and the database migrations."""
    digest = hashlib.sha256(str(GENERATOR_VERSION).encode())
    files = sorted(ROOT.glob("studyapp/demo/*.py"))
    for path in [*files, ROOT / "studyapp/protocol/itp_daratumumab.toml"]:
        digest.update(path.read_bytes())
    for path in sorted((ROOT / "migrations/versions").glob("*.py")):
        digest.update(path.name.encode())
    return digest.hexdigest()[:12]


def make_app(url: str, anchors: Path | str, **extra: object) -> Flask:
    return create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=url,
        AUDIT_ANCHOR_PATH=str(anchors),
        DEMO_PASSWORD=PASSWORD,
        WTF_CSRF_ENABLED=False,
        EXPORT_DIR=str(CACHE / "exports"),
        **extra,
    )


def ensure(size: int, database_url: str | None = None, *, rebuild: bool = False) -> Built:
    """The study of *size* subjects: from the cache when built already, else built now."""
    CACHE.mkdir(parents=True, exist_ok=True)
    version = fingerprint()
    if database_url:
        url = database_url.replace("{size}", str(size))
        key = hashlib.sha256(url.encode()).hexdigest()[:12]
        meta = CACHE / f"pg-{key}.json"
    else:
        url = f"sqlite:///{CACHE / f'study-{size}-{version}.db'}"
        meta = CACHE / f"study-{size}-{version}.json"
    if meta.exists() and not rebuild:
        built = Built(**json.loads(meta.read_text()))
        same = built.fingerprint == version and built.size == size and built.url == url
        if same and _still_there(built):
            return Built(**{**asdict(built), "cached": True})
    built = _build_into(size, url, version, rebuild=rebuild)
    meta.write_text(json.dumps(asdict(built), indent=1))
    return built


def _still_there(built: Built) -> bool:
    """Whether the database still holds the study the cache note describes."""
    url = make_url(built.url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").exists():
        return False
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(Subject)) == built.screened
    except SQLAlchemyError:
        return False
    finally:
        engine.dispose()


def _build_into(size: int, url: str, version: str, *, rebuild: bool) -> Built:
    sqlite = make_url(url).get_backend_name() == "sqlite"
    target = Path(make_url(url).database) if sqlite else None
    work_url = f"sqlite:///{target}.part" if target else url
    if target:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}.part{suffix}").unlink(missing_ok=True)
    anchors = CACHE / f"anchors-{size}-{version}{'' if sqlite else '-pg'}.jsonl"
    anchors.unlink(missing_ok=True)
    app = make_app(work_url, anchors)
    with app.app_context():
        _prepare(rebuild=rebuild)
        _commit_without_waiting()
        start = clock.perf_counter()
        build(size)
        seconds = clock.perf_counter() - start
        _check_audit(app)
        built = _figures(size, url, seconds, version, anchors)
        db.session.remove()
        db.engine.dispose()
    if target:
        Path(f"{target}.part").rename(target)
    return built


def _prepare(*, rebuild: bool) -> None:
    """Migrate an empty database; refuse one holding data unless asked to empty it."""
    tables = inspect(db.engine).get_table_names()
    if tables and rebuild and db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    elif tables and "subject" in tables and db.session.scalar(select(func.count(Subject.id))):
        raise SystemExit("the database already holds subjects: pass --rebuild to empty it")
    upgrade(directory=str(ROOT / "migrations"))


def _commit_without_waiting() -> None:
    """Commits that do not wait for the disk, for the connections of the build only."""
    engine = db.engine
    statement = (
        "PRAGMA synchronous = OFF"
        if engine.dialect.name == "sqlite"
        else "SET synchronous_commit = off"
    )

    @event.listens_for(engine, "connect")
    def _fast(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()

    engine.dispose()


def build(size: int, today: date = TODAY, *, report: bool = True) -> None:
    """The study of *size* enrolled subjects (and its screen failures), step by step in date
    order, each step in its own transaction on its own frozen date (as ``demo.load_demo``)."""
    try:
        freeze_clock(datetime.combine(first_day(size, today) - timedelta(days=30), time(1, 0), UTC))
        with transaction():
            users = {user.username: user for user in _load_users()}
        b = _Builder(users["inv.zhang"], users["crc.li"], today)
        steps = sorted(timeline(b, size, today), key=lambda s: (s.on, s.at))
        start, every = clock.perf_counter(), max(1, len(steps) // 10)
        report = report and size >= 100
        for n, step in enumerate(steps, 1):
            b.at(step.on, step.at)
            with transaction():
                step.run()
            if report and n % every == 0:
                elapsed = clock.perf_counter() - start
                print(f"  {size} subjects: {n}/{len(steps)} steps, {elapsed:.0f} s", flush=True)
    finally:
        freeze_clock(None)


def first_day(size: int, today: date) -> date:
    """Day 1 of the first subject."""
    r = get_protocol().run_in
    review = (r.subjects - 1) * r.min_days_between_first_doses + r.dlt_window_last_day + 3
    return today - timedelta(days=LAST_FOLLOW_UP + ENROL_DAYS + review + 2)


def day1_of(k: int, size: int, today: date) -> date:
    """Day 1 of the k-th enrolled subject: the run-in cohort a dosing gap apart, the others
    spread evenly after the DLT review."""
    r = get_protocol().run_in
    start = first_day(size, today)
    if k < r.subjects:
        return start + timedelta(days=k * r.min_days_between_first_doses)
    opened = review_day(start) + timedelta(days=2)
    later = max(1, size - r.subjects)
    return opened + timedelta(days=(k - r.subjects) * ENROL_DAYS // later)


def review_day(start: date) -> date:
    """The DLT review is signed 3 days after the last run-in subject's DLT window ends."""
    r = get_protocol().run_in
    last = start + timedelta(days=(r.subjects - 1) * r.min_days_between_first_doses)
    return last + timedelta(days=r.dlt_window_last_day + 2)


def timeline(b: _Builder, size: int, today: date) -> list[Step]:
    made: dict[str, Subject] = {}
    steps: list[Step] = []
    for k in range(size):
        steps += _subject_steps(b, made, k, day1_of(k, size, today), today)
        if made_up.fails_screening(k):
            steps += _screen_failure_steps(b, made, k, day1_of(k, size, today))
    r = get_protocol().run_in
    review = review_day(first_day(size, today))
    if size >= r.subjects and review <= today:
        steps.append(Step(review, lambda: b.sign_dlt_review((review - today).days)))
    return steps


def _subject_steps(
    b: _Builder, made: dict[str, Subject], k: int, day1: date, today: date
) -> list[Step]:
    key, p = f"s{k}", made_up.candidate(k)
    run_in = k < get_protocol().run_in.subjects
    screening = day1 - timedelta(days=SCREENING_DAYS)

    def screen() -> None:
        made[key] = b.screen(p, (screening - today).days)

    def subject() -> Subject:
        return made[key]

    visits = [(v.code, v.day) for v in get_protocol().visits if v.day and v.day >= 1]
    done = [(code, day) for code, day in visits if day1 + timedelta(days=day - 1) <= today]
    course = made_up.course(k, run_in, done)
    steps = [
        Step(screening, screen),
        Step(day1 - timedelta(days=1), lambda: b.enrol(made[key], p, (day1 - today).days)),
        *demo_visits.steps(b.inv, subject, course, day1),
        *made_up.safety_steps(k, run_in, b.inv, subject, day1, today),
    ]
    if len(done) == len(visits):  # reached the end of study
        end = day1 + timedelta(days=visits[-1][1] - 1)
        steps.append(Step(end, lambda: _complete(b, subject(), end), time(18, 40)))
    return steps


def _screen_failure_steps(b: _Builder, made: dict[str, Subject], k: int, day1: date) -> list[Step]:
    key, p = f"f{k}", made_up.failing(made_up.candidate(10_000 + k))
    on = day1 - timedelta(days=SCREENING_DAYS)

    def screen() -> None:
        made[key] = b.screen(p, (on - b.today).days)

    reason = f"Platelet count {p.platelets[0]} x10^9/L at screening, above the inclusion limit."
    return [
        Step(on, screen),
        Step(on, lambda: b.screen_fail(made[key], (on - b.today).days, reason), time(11, 0)),
    ]


def _complete(b: _Builder, subject: Subject, on: date) -> None:
    from studyapp.audit import acting_as

    with acting_as(b.inv):
        services.record_disposition(
            b.inv, subject.id, decod=COMPLETED, on=on, reason="Completed the study visits"
        )


def _check_audit(app: Flask) -> None:
    """Sign a checkpoint of the chain head, then run ``flask audit-verify``: it must pass."""
    with transaction():
        anchor_now(None)
    answer = app.test_cli_runner().invoke(args=["audit-verify"])
    if answer.exit_code != 0:
        raise SystemExit(f"audit-verify failed on the synthetic study:\n{answer.output}")


def _figures(size: int, url: str, seconds: float, version: str, anchors: Path) -> Built:
    def count(model: type) -> int:
        return db.session.scalar(select(func.count()).select_from(model)) or 0

    enrolled = db.session.scalar(select(func.count()).where(Subject.day1_date.is_not(None)))
    return Built(
        size=size,
        url=url,
        today=TODAY.isoformat(),
        seconds=round(seconds, 1),
        screened=count(Subject),
        enrolled=enrolled or 0,
        adverse_events=count(AdverseEvent),
        audit_rows=count(AuditLog),
        fingerprint=version,
        anchors=str(anchors),
    )


def sizes(text_: str) -> list[int]:
    return [int(part) for part in text_.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=sizes, default=list(SIZES))
    parser.add_argument("--database-url", help="PostgreSQL; {size} is replaced by the size")
    parser.add_argument("--rebuild", action="store_true", help="build again, ignoring the cache")
    args = parser.parse_args(argv)
    print(f"cache: {CACHE}")
    print(
        f"{'size':>6} {'screened':>9} {'enrolled':>9} {'AEs':>6} {'audit rows':>11} {'build s':>9}"
    )
    for size in args.sizes:
        built = ensure(size, args.database_url, rebuild=args.rebuild)
        note = " (cached)" if built.cached else ""
        print(
            f"{built.size:>6} {built.screened:>9} {built.enrolled:>9} {built.adverse_events:>6} "
            f"{built.audit_rows:>11} {built.seconds:>9.1f}{note}",
            flush=True,
        )
    print("audit chain: flask audit-verify passed on each study when it was built")


if __name__ == "__main__":
    main()
