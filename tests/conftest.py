"""Fixtures: an app on a fresh, migrated database per test, on SQLite and (when
TEST_DATABASE_URL is set) again on PostgreSQL; a client; one user per role.

Databases are cloned from a template migrated once per run (a file copy on SQLite,
CREATE DATABASE ... TEMPLATE on PostgreSQL), so every test starts empty and real:
several connections, triggers and locks behave as in production.

Time: a test takes "now" and "today" from the application's clock (``studyapp.db.utcnow()``,
``studyapp.db.site_today()``), never from the system's or a UTC date, and fixes a moment
with ``freeze_clock``. ``--clock`` / ``STUDYAPP_TEST_CLOCK`` pins the clock for a run, and a
test marked ``site_midnight`` also runs either side of the site's midnight (tests/site_clock.py).
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
from collections.abc import Iterator
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


def _pg_admin() -> Any:
    return create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")


def _pg_name(suffix: str) -> str:
    base = re.sub(r"\W", "_", make_url(PG_URL).database or "test")
    return f"{base}_{os.getpid()}_{suffix}"


def pg_create(name: str, template: str | None = None) -> str:
    engine = _pg_admin()
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        clause = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
    engine.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def pg_drop(name: str) -> None:
    engine = _pg_admin()
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    name = _pg_name("tmpl")
    migrate_to_head(pg_create(name))
    yield name
    pg_drop(name)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh migrated database: one per test and backend."""
    if request.param == "sqlite":
        target = tmp_path / "studyapp.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    name = _pg_name(f"t{next(_counter)}")
    yield pg_create(name, template=request.getfixturevalue("pg_template"))
    pg_drop(name)


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
