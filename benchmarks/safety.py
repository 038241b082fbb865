"""Safety figures: the latency of the safety pages on the demo study, and of the overview
and the lab-to-AE task list with many adverse events.

Loads the demo study into a throw-away SQLite database (or BENCH_DATABASE_URL, an empty
PostgreSQL database), then adds ``EXTRA_AES`` adverse events through the service spread over
the enrolled subjects, and prints the page times; it asserts nothing. ``make bench`` runs it.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import select

from benchmarks.foundation import latency
from config import TestingConfig
from studyapp import create_app
from studyapp.audit import acting_as
from studyapp.auth.models import User
from studyapp.demo.loader import load_demo
from studyapp.extensions import db
from studyapp.safety import events
from studyapp.subjects.models import ENROLLED, Subject

PASSWORD = "demo-password-2026"  # noqa: S105 - the demo accounts' published password
EXTRA_AES = 400
TERMS = ("Fatigue", "Headache", "Nausea", "Diarrhea", "Cough", "Fever")


def _add_events(inv: User, subjects: list[Subject]) -> float:
    start = time.perf_counter()
    with acting_as(inv):
        for n in range(EXTRA_AES):
            subject = subjects[n % len(subjects)]
            events.add(
                inv,
                subject.id,
                events.AeEntry(
                    aeterm=f"Bench event {n}",
                    ctcae_term=TERMS[n % len(TERMS)],
                    start_date=subject.day1_date.isoformat(),
                    end_date=subject.day1_date.isoformat(),
                    ongoing=False,
                    grade=1 + n % 2,
                    serious=False,
                    criteria=frozenset(),
                    aware_at=None,
                    relatedness="unlikely",
                    expected=None,
                    aeacn="DOSE NOT CHANGED",
                    aeout="RECOVERED/RESOLVED",
                    treatment=None,
                    irr=False,
                    dose_id=None,
                ),
            )
    return time.perf_counter() - start


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="studyapp-bench-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=url,
        WTF_CSRF_ENABLED=False,
        DEMO_PASSWORD=PASSWORD,
    )
    print(f"database: {url.split('@')[-1]}")
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        load_demo()
        subject = db.session.scalar(select(Subject).where(Subject.subject_number == "ITP-003"))
        subject_id = subject.id
        db.session.remove()
    client = app.test_client()
    client.post("/login", data={"username": "inv.zhang", "password": PASSWORD})
    latency("GET /safety/ (overview, demo study)", client, "/safety/")
    latency(
        "GET subject adverse events (ITP-003)", client, f"/subjects/{subject_id}/adverse-events"
    )
    latency("GET /safety/tasks (lab-to-AE tasks)", client, "/safety/tasks")
    latency("GET /safety/ctcae.json?q=infus (term search)", client, "/safety/ctcae.json?q=infus")
    with app.app_context():
        inv = db.session.scalar(select(User).where(User.username == "inv.zhang"))
        subjects = list(db.session.scalars(select(Subject).where(Subject.status == ENROLLED)))
        elapsed = _add_events(inv, subjects)
        print(f"{f'{EXTRA_AES} AEs recorded through the service':<44} {elapsed:6.2f} s")
        db.session.remove()
    latency(f"GET /safety/ (overview, {EXTRA_AES} more AEs)", client, "/safety/")
    latency("GET /safety/?min_grade=2 (filtered)", client, "/safety/?min_grade=2")
    latency("GET / (home with SAEs and tasks)", client, "/")


if __name__ == "__main__":
    main()
