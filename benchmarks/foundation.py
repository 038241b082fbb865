"""Foundation figures: audited writes, chain verification, page latency.

Runs on a throw-away SQLite database (or BENCH_DATABASE_URL, an empty PostgreSQL
database) and prints figures; it asserts nothing. ``make bench`` runs it.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade

from config import TestingConfig
from studyapp import create_app
from studyapp.audit import acting_as, set_reason
from studyapp.audit.services import AuditFilter, search, verify_chain
from studyapp.auth import passwords
from studyapp.auth.models import User
from studyapp.extensions import db

EDITS = int(os.environ.get("BENCH_EDITS", "2000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))


def timed(label: str, count: int, unit: str, fn) -> None:
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    print(f"{label:<44} {count / elapsed:>10.0f} {unit}/s  ({elapsed:.2f} s for {count})")


def latency(label: str, client, path: str) -> None:
    samples = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(f"{label:<44} p50 {statistics.median(samples):6.1f} ms   p95 {p95:6.1f} ms")


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="studyapp-bench-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, WTF_CSRF_ENABLED=False)
    print(f"database: {url.split('@')[-1]}")
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        monitor = User(
            username="bench.monitor",
            full_name="Bench",
            role="monitor",
            password_hash=passwords.hash_password("bench password long"),
            must_change_password=False,
        )
        with acting_as(None):
            db.session.add(monitor)
            db.session.commit()

        def edits() -> None:
            with acting_as(monitor):
                for n in range(EDITS):
                    monitor.full_name = f"Bench {n}"
                    set_reason("benchmark")
                    db.session.commit()

        timed("audited edit, one transaction each", EDITS, "edits", edits)
        start = time.perf_counter()
        result = verify_chain()
        elapsed = time.perf_counter() - start
        print(
            f"{'audit-verify':<44} {result.rows / elapsed:>10.0f} rows/s  "
            f"({elapsed:.2f} s for {result.rows}, ok={result.ok})"
        )
        start = time.perf_counter()
        search(monitor, AuditFilter(table_name="user"), page=1)
        print(
            f"{'audit viewer query, first page':<44} {1000 * (time.perf_counter() - start):6.1f} ms"
        )
        db.session.remove()

    client = app.test_client()
    client.post("/login", data={"username": "bench.monitor", "password": "bench password long"})
    latency("GET /healthz", client, "/healthz")
    latency("GET / (home, signed in)", client, "/")
    latency("GET /audit/ (50 rows of " + str(EDITS) + ")", client, "/audit/")


if __name__ == "__main__":
    main()
