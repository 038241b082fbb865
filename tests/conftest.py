"""Fixtures: an app on a fresh, migrated database per test, on SQLite and (when
TEST_DATABASE_URL is set) again on PostgreSQL; a client; one user per role.

Databases are cloned from a template migrated once per run (a file copy on SQLite,
CREATE DATABASE ... TEMPLATE on PostgreSQL), so every test starts empty and real:
several connections, triggers and locks behave as in production. A module may start its tests
from prepared data instead (fixture ``database_template``): built once per engine, then cloned
the same way. PostgreSQL clones are made ahead and dropped behind the tests (``PgClones``).

Time: a test takes "now" and "today" from the application's clock (``studyapp.db.utcnow()``,
``studyapp.db.site_today()``), never from the system's or a UTC date, and fixes a moment
with ``freeze_clock``. ``--clock`` / ``STUDYAPP_TEST_CLOCK`` pins the clock for a run, and a
test marked ``site_midnight`` also runs either side of the site's midnight (tests/site_clock.py).
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import TestingConfig
from studyapp import create_app
from studyapp.db import freeze_clock, pin_clock
from studyapp.extensions import db
from tests import factories
from tests import site_clock as clocks

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
_counter = itertools.count()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        clocks.OPTION,
        default=os.environ.get(clocks.ENV, ""),
        help="pin the application clock for the run: 2026-03-10T16:15:00Z, or 16:15Z (today, "
        f"UTC); default ${clocks.ENV}, else the system clock",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked ``site_midnight`` runs at each clock of ``site_clock.SITE_MIDNIGHT``."""
    if metafunc.definition.get_closest_marker("site_midnight"):
        metafunc.parametrize("site_clock", list(clocks.SITE_MIDNIGHT), indirect=True)


EVERY_ENGINE = os.environ.get("STUDYAPP_EVERY_ENGINE") == "1"


def _on_postgresql(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and "postgresql" in callspec.params.values()


def _on_sqlite(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("database_url") == "sqlite"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Integration tests run on SQLite; on PostgreSQL too when marked ``both_engines``.

    The rule (docs/testing.md): a test where the engine can change the outcome (constraints,
    column lengths and odd input, locks and concurrency, triggers and the audit capture,
    transactions, migrations, raw SQL, time zones in timestamps, streamed reads) is marked and
    runs on both. A test marked ``postgresql_only`` measures what only PostgreSQL shows
    (server-side cursors): it runs there, and on SQLite only when no PostgreSQL is configured.
    ``make test-all`` (``STUDYAPP_EVERY_ENGINE=1``) runs every test on both.
    """
    if EVERY_ENGINE or not PG_URL:
        return
    keep, dropped = [], []
    for item in items:
        on_pg_only_if_marked = _on_postgresql(item) and not (
            item.get_closest_marker("both_engines") or item.get_closest_marker("postgresql_only")
        )
        sqlite_when_pg_preferred = _on_sqlite(item) and item.get_closest_marker("postgresql_only")
        (dropped if on_pg_only_if_marked or sqlite_when_pg_preferred else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


#: ``make coverage`` and ``make test-all``: trace every test, for the whole package's figure.
COVER_ALL = os.environ.get("STUDYAPP_COVERAGE") == "all" or EVERY_ENGINE
UNIT_TESTS = Path(__file__).parent / "unit"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Coverage in ``make test`` is traced on the unit tests only: they hold the pure core
    (``studyapp/clinical``, ``studyapp/protocol``) at 100 % branch coverage by themselves, and
    tracing the integration and browser tests as well cost about 40 % more of the suite's CPU
    (docs/testing.md). ``make coverage`` and ``make test-all`` trace every test
    (``STUDYAPP_COVERAGE=all``) for the whole package's figure.
    """
    paused = None
    if not COVER_ALL and UNIT_TESTS not in item.path.parents:
        paused = _running_coverage()
    if paused is not None:
        paused.stop()
    try:
        yield
    finally:
        if paused is not None:
            paused.start()


def _running_coverage() -> Any:
    try:
        from coverage import Coverage
    except ImportError:  # pragma: no cover - coverage is a dev requirement
        return None
    return Coverage.current()


@pytest.fixture(autouse=True)
def site_clock(request: pytest.FixtureRequest) -> Iterator[datetime | None]:
    """The clock of every thread during the test (None: the system clock); see --clock.

    A ``site_midnight`` test gets its variant's moment, frozen, so it never straddles midnight.
    """
    run_clock = clocks.parse(request.config.getoption(clocks.OPTION))
    moment = clocks.moment_for(getattr(request, "param", None), run_clock)
    pin_clock(moment)
    yield moment
    pin_clock(None)


def migrate_to_head(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade(directory=str(Path(__file__).parent.parent / "migrations"))
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate_to_head(f"sqlite:///{path}")
    return path


@functools.cache
def _pg_admin() -> Any:
    return create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")


def _pg_name(suffix: str) -> str:
    base = re.sub(r"\W", "_", make_url(PG_URL).database or "test")
    return f"{base}_{os.getpid()}_{suffix}"


def pg_create(name: str, template: str | None = None) -> str:
    with _pg_admin().connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        clause = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def pg_drop(name: str) -> None:
    with _pg_admin().connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class PgClones:
    """Clones of one PostgreSQL template, made ahead and dropped behind the tests.

    A clone takes about 0.2 s and a drop about 0.4 s (DROP DATABASE waits for a checkpoint),
    so two background threads make the next test's database while a test runs and drop the
    used ones; a test waits only when it is quicker than that. Each test still gets its own
    database, never used before. Its commits do not wait for the WAL to reach the disk
    (``synchronous_commit = off``, for that database only): visibility and locking are as
    before, only a crash of the server could lose the last commits of a throwaway database.
    """

    def __init__(self, template: str) -> None:
        self.template = template
        self.threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pg-clones")
        self.spare = self.threads.submit(self._create)

    def _create(self) -> tuple[str, str]:
        name = _pg_name(f"t{next(_counter)}")
        url = pg_create(name, template=self.template)
        with _pg_admin().connect() as conn:  # a commit need not wait for the disk: a test
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        return name, url

    def take(self) -> tuple[str, str]:
        clone, self.spare = self.spare.result(), self.threads.submit(self._create)
        return clone

    def drop(self, name: str) -> None:
        self.threads.submit(pg_drop, name)

    def close(self) -> None:
        self.drop(self.spare.result()[0])
        self.threads.shutdown(wait=True)


class Templates:
    """The databases tests are cloned from, per engine: the migrated empty one, and others
    built once from it on first use (``database_template``), such as the demo study."""

    def __init__(self, request: pytest.FixtureRequest, tmp: pytest.TempPathFactory) -> None:
        self.request, self.tmp = request, tmp
        self.built: dict[tuple[str, str], Any] = {}
        self.clones: dict[str, PgClones] = {}

    def get(self, backend: str, spec: TemplateSpec | None) -> Any:
        """The SQLite file or PostgreSQL database name of a template."""
        if spec is None and backend == "sqlite":
            return self.request.getfixturevalue("sqlite_template")
        key = (backend, spec.key if spec else "")
        if key not in self.built:
            self.built[key] = self._build(backend, spec) if spec else self._migrate_pg()
        return self.built[key]

    def _migrate_pg(self) -> str:
        name = _pg_name("tmpl")
        migrate_to_head(pg_create(name))
        return name

    def _build(self, backend: str, spec: TemplateSpec) -> Any:
        name, url = self.clone(backend, None)
        anchors = self.tmp.mktemp("anchors") / "audit-anchors.jsonl"
        app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, AUDIT_ANCHOR_PATH=str(anchors))
        with app.app_context():
            spec.build(app)
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        return name

    def clone(self, backend: str, spec: TemplateSpec | None) -> tuple[Any, str]:
        """A fresh database cloned from the template: (file or name, URL)."""
        template = self.get(backend, spec)
        if backend == "sqlite":
            target = self.tmp.mktemp("db") / "studyapp.db"
            shutil.copyfile(template, target)
            return target, f"sqlite:///{target}"
        if template not in self.clones:
            self.clones[template] = PgClones(template)
        return self.clones[template].take()

    def release(self, backend: str, spec: TemplateSpec | None, name: Any) -> None:
        if backend == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{name}{suffix}").unlink(missing_ok=True)
        else:
            self.clones[self.get(backend, spec)].drop(name)

    def close(self) -> None:
        for clones in self.clones.values():
            clones.close()
        for (backend, _key), name in reversed(self.built.items()):
            if backend == "postgresql":
                pg_drop(name)


@dataclass(frozen=True)
class TemplateSpec:
    """A database to build once per engine (``key``) and clone for each test that asks."""

    key: str
    build: Callable[[Any], None]


@pytest.fixture(scope="session")
def templates(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Templates]:
    found = Templates(request, tmp_path_factory)
    yield found
    found.close()


@pytest.fixture
def database_template() -> TemplateSpec | None:
    """What a test's database is cloned from: None, the empty migrated one. A module
    overrides this fixture to start its tests from prepared data (see test_demo.py)."""
    return None


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, templates: Templates, database_template: TemplateSpec | None
) -> Iterator[str]:
    """A fresh migrated database: one per test and backend."""
    name, url = templates.clone(request.param, database_template)
    yield url
    templates.release(request.param, database_template, name)


class FreshRequestClient(FlaskClient):
    """A test client whose requests start with an empty ``g``, as on a real server.

    The ``app`` fixture keeps an application context pushed so tests can use the
    database; Flask reuses it for test requests, which would carry ``g`` (and the
    signed-in user Flask-Login caches there) from one request into the next. The
    test's own transaction is ended first, as a finished request's would be, so it
    holds no SQLite write lock while another node's request runs.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            for key in list(vars(g)):
                delattr(g, key)
            db.session.rollback()
        return super().open(*args, **kwargs)


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[Any]:
    """Build more apps on the same database (several nodes; other settings)."""
    apps = []

    def build(**overrides: Any) -> Any:
        overrides.setdefault("AUDIT_ANCHOR_PATH", str(tmp_path / "audit-anchors.jsonl"))
        app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url, **overrides)
        app.test_client_class = FreshRequestClient
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app: Any) -> Iterator[Any]:
    app = make_app()
    with app.app_context():
        yield app
        db.session.remove()
    freeze_clock(None)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def users(app: Any) -> dict[str, Any]:
    """One active user per role, password ``factories.PASSWORD``."""
    return factories.users_per_role()


@pytest.fixture
def auth(client: Any) -> factories.AuthActions:
    return factories.AuthActions(client)
