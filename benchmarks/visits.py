"""Visit figures: demo study load time and the latency of the visit pages.

Loads the demo study (5 enrolled subjects with their visits) into a throw-away SQLite
database (or BENCH_DATABASE_URL, an empty PostgreSQL database) and prints how long the
pages the site uses every day take; it asserts nothing. ``make bench`` runs it.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import func, select

from benchmarks.foundation import latency
from config import TestingConfig
from studyapp import create_app
from studyapp.audit.models import AuditLog
from studyapp.demo.loader import load_demo
from studyapp.extensions import db
from studyapp.subjects.models import Subject

PASSWORD = "demo-password-2026"  # noqa: S105 - the demo accounts' published password


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
        start = time.perf_counter()
        load_demo()
        elapsed = time.perf_counter() - start
        rows = db.session.scalar(select(func.count()).select_from(AuditLog))
        print(f"{'demo study through the services':<44} {elapsed:6.2f} s ({rows} audit rows)")
        subject = db.session.scalar(select(Subject).where(Subject.subject_number == "ITP-001"))
        subject_id = subject.id
        db.session.remove()
    client = app.test_client()
    client.post("/login", data={"username": "inv.zhang", "password": PASSWORD})
    latency("GET / (home with the due visits)", client, "/")
    latency(
        "GET subject page (chart, response, calendar)", client, f"/subjects/{subject_id}/visits"
    )
    latency("GET visit tracker (5 subjects x 16 visits)", client, "/visits/tracker")
    latency("GET lab form (CBC, Day 15)", client, f"/subjects/{subject_id}/visits/3/labs/CBC")
    latency("GET dose form (Day 15)", client, f"/subjects/{subject_id}/visits/3/dose")


if __name__ == "__main__":
    main()
