"""Schema only through Alembic, up and down, on both engines (REL-09, REL-05)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from config import Config
from studyapp.extensions import db
from tests.audit_model import TABLE

pytestmark = pytest.mark.both_engines  # migrations

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


@pytest.mark.req("REL-09")
def test_downgrade_to_empty_and_upgrade_to_head_again(app):
    assert {"user", "audit_log"} <= _tables()
    downgrade(directory=MIGRATIONS, revision="base")
    assert _tables() == set()
    upgrade(directory=MIGRATIONS)
    assert {"user", "audit_log"} <= _tables()


@pytest.mark.req("REL-09")
def test_models_and_migrations_agree(app):
    def include(obj, name, type_, *_args):
        return not (type_ == "table" and name == TABLE)

    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": False, "include_object": include}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


@pytest.mark.req("REL-05")
def test_sqlite_connections_are_durable(app, make_app):
    if db.engine.dialect.name != "sqlite":
        with db.engine.connect() as conn:
            assert conn.execute(text("SHOW fsync")).scalar() == "on"
        return
    with db.engine.connect() as conn:  # the test's own throwaway copy
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 0  # OFF
    served = make_app(SQLITE_SYNCHRONOUS=Config.SQLITE_SYNCHRONOUS)  # the setting served
    with served.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def test_an_unknown_sqlite_synchronous_setting_is_refused_at_start():
    from sqlalchemy import create_engine

    from studyapp.db import configure_sqlite

    with pytest.raises(ValueError, match="SQLITE_SYNCHRONOUS"):
        configure_sqlite(create_engine("sqlite://"), 1000, "SOMETIMES")
