"""The benchmarks of reports and exports (benchmarks/synthetic_study.py, benchmarks/exports.py)
run end to end on a study of 2 subjects: the study is built through the services, the audit
chain verifies (``flask audit-verify``), the cache is reused, and the export table prints one
row per kind with its figures, measured in a fresh process on a kind registered here."""

from __future__ import annotations

import sys

import pytest
from sqlalchemy import func, select

from benchmarks import exports as bench
from benchmarks import synthetic_study as study
from studyapp.audit.models import AuditLog
from studyapp.exports import registry
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.safety.models import AdverseEvent
from studyapp.visits.models import DoseAdministration, LabResult
from tests.conftest import BACKENDS, _pg_name, pg_create, pg_drop

pytestmark = pytest.mark.both_engines  # the bulk build path on each engine

PROBE = "tests.integration.bench_probe"


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bench-cache")


@pytest.fixture
def cache(cache_dir, monkeypatch):
    """The module's cache (its study is built once), and the registry as it was once the
    test is over."""
    monkeypatch.setenv("STUDYAPP_BENCH_CACHE", str(cache_dir))
    monkeypatch.setattr(study, "CACHE", cache_dir)
    monkeypatch.setattr(registry, "EXPORTS", dict(registry.EXPORTS))
    yield cache_dir
    sys.modules.pop(PROBE, None)


@pytest.fixture(scope="module", params=BACKENDS)
def bench_url(request):
    """None: the cached SQLite file; else a PostgreSQL database of the module's own, empty
    until its first test builds the study in it."""
    if request.param == "sqlite":
        yield None
        return
    name = _pg_name("bench")
    yield pg_create(name)
    pg_drop(name)


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_two_subjects_are_built_audited_and_cached(cache, bench_url):
    built = study.ensure(2, bench_url)
    assert (built.size, built.screened, built.enrolled) == (2, 2, 2)
    assert built.seconds > 0
    app = study.make_app(built.url, built.anchors)
    with app.app_context():
        answer = app.test_cli_runner().invoke(args=["audit-verify"])
        assert answer.exit_code == 0, answer.output
        assert f"OK: {built.audit_rows} audit rows" in answer.output
        assert "checkpoint(s) hold" in answer.output
        platelets = get_protocol().response.platelet_test
        assert _count(LabResult, LabResult.testcd == platelets) > 10
        assert _count(DoseAdministration) > 5
        assert _count(AdverseEvent) == built.adverse_events >= 2
        db.session.remove()
        db.engine.dispose()
    again = study.ensure(2, bench_url)
    assert again.cached
    assert again.audit_rows == built.audit_rows


def test_the_export_table_has_a_row_per_kind(cache, bench_url, capsys):
    args = ["--sizes", "2", "--kinds", "bench_probe,bench_broken,nope", "--import", PROBE]
    code = bench.main(args + (["--database-url", bench_url] if bench_url else []))
    out = capsys.readouterr().out
    assert code == 1  # bench_broken failed
    assert bench.HEADER in out
    (probe,) = [line.split() for line in out.splitlines() if " bench_probe " in line]
    size, kind, scope, seconds, rss, added, heap, megabytes, rows = probe
    assert (size, kind, scope, heap, rows) == ("2", "bench_probe", "study", "-", "2")
    assert 0 < float(seconds) < 5
    assert float(rss) > 20
    assert float(added) >= 0
    assert float(megabytes) == 0  # 2 lines of 8 bytes
    assert "bench_broken     FAILED: " in out
    assert "always fails" in out
    assert "not registered: nope" in out
    built = study.ensure(2, bench_url)
    app = study.make_app(built.url, built.anchors)
    with app.app_context():  # the exports' audit rows were rolled back: the study is as built
        assert _count(AuditLog) == built.audit_rows
        assert _count(AuditLog, AuditLog.action == "export") == 0
        db.session.remove()
        db.engine.dispose()
